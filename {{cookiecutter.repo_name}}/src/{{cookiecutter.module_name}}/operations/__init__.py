"""Operations: running the team's services, beside the experiments.

:mod:`.tracking_server` starts the team's secured MLflow tracking server and adds its users.
"""
