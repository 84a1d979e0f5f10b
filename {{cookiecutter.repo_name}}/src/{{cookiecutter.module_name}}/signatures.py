"""Trust a model by who made it: sign what the project writes, verify it before reading it.

Every model a training logs, and the config it was trained with, is signed with its author's
private key (OpenSSF's ``model-signing``, with an elliptic-curve key: it works offline, with
no account and no transparency log). Every command verifies a model's signature before it
reads a byte of it, against the public keys of the trusted signers: the ``*.pub`` files in
``trusted-signers/`` at the project root, so that trusting someone is a reviewed commit.
A model that is unsigned, changed after it was signed, or signed by a key nobody committed
is refused, whatever its format: a pickle or a skops file can both run code when loaded.

The keys are :mod:`.keys`'. See docs/tracking.md, "Who can publish models".
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import RefusedError
from .keys import Signer, own_signer, private_key_path, trusted_signers, trusted_signers_folder

SIGNATURE_FILE = "model.sig"
SIGNATURE_SUFFIX = ".sig"
# Not part of a signed model folder: its signature, and the file in which MLflow records the
# registered name and version when it downloads a version (nothing reads it to load a model).
UNSIGNED_FILES = (SIGNATURE_FILE, "registered_model_meta")


class UntrustedModelError(RefusedError, ValueError):
    """A model or config that was not loaded because nobody trusted made it; says how to fix."""


class UnsignedModelError(UntrustedModelError):
    """No signature, or a signature by a key the project does not trust: made elsewhere."""


class TamperedModelError(UntrustedModelError):
    """Signed by a trusted key, but changed since: never loaded, whatever the user trusts."""


def sign_folder(folder: Path) -> Signer:
    """Sign every file of a model folder with this machine's key (``model.sig`` inside it)."""
    signer = own_signer()
    _signing_config().sign(folder, folder / SIGNATURE_FILE)
    return signer


def sign_file(path: Path) -> Path:
    """Sign one file with this machine's key; return the signature (``<file>.sig`` beside it)."""
    own_signer()
    signature = signature_of(path)
    _signing_config().sign(path, signature)
    return signature


def signature_of(path: Path) -> Path:
    """Return where a signed file's signature is: ``<file>.sig`` beside it."""
    return path.with_name(f"{path.name}{SIGNATURE_SUFFIX}")


def verify(path: Path, signature: Path, what: str) -> Signer:
    """Check that a trusted signer signed exactly this file or folder; return the signer.

    Args:
        path: The model folder, or a single file.
        signature: Its signature.
        what: How messages name it, e.g. ``models:/churn/3``.

    Raises:
        UnsignedModelError: Unsigned, or signed by a key the project does not trust.
        TamperedModelError: Signed by a trusted key, but changed since.
    """
    if not signature.is_file():
        raise UnsignedModelError(
            f"{what} is not signed, so nobody this project trusts is known to have made it: it "
            "was not loaded. Models are signed when `train` logs them; one logged otherwise (or "
            "before signing existed) loads only with --trust-pickle, if you trust its source."
        )
    try:
        hint = json.loads(signature.read_text())["verificationMaterial"]["publicKey"]["hint"]
    except (ValueError, KeyError, TypeError):
        raise UnsignedModelError(
            f"{what} has an unreadable signature: it was not loaded"
        ) from None
    signer = trusted_signers().get(hint)
    if signer is None:
        raise UnsignedModelError(
            f"{what} is signed by a key this project does not trust (key id {str(hint)[:16]}…): "
            f"it was not loaded. To trust its owner, add their public key to "
            f"{trusted_signers_folder().name}/ in a reviewed commit (`make keygen` writes theirs)."
        )
    from model_signing import verifying

    config = verifying.Config().use_elliptic_key_verifier(public_key=signer.public_key)
    try:
        config.set_hashing_config(_hashing_config()).verify(path, signature)
    except ValueError as error:
        raise TamperedModelError(
            f"{what} does not match its signature by {signer.name}: it was changed after it "
            f"was signed ({_shortened(error)}). It was not loaded."
        ) from None
    return signer


def _signing_config():  # noqa: ANN202 - a model_signing.signing.Config, imported lazily
    from model_signing import signing

    config = signing.Config().use_elliptic_key_signer(private_key=private_key_path())
    return config.set_hashing_config(_hashing_config())


def _hashing_config():  # noqa: ANN202 - a model_signing.hashing.Config, imported lazily
    from model_signing import hashing

    return hashing.Config().set_ignored_paths(paths=UNSIGNED_FILES, ignore_git_paths=False)


def _shortened(error: Exception, limit: int = 300) -> str:
    text = str(error)
    return text if len(text) <= limit else f"{text[:limit]}…"
