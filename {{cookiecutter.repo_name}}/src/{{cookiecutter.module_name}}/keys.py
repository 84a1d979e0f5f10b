"""Signing keys: this person's private key, and the public keys of the trusted signers.

``make keygen`` (run by ``make install``) creates this person's private key outside the
repository, ``~/.config/model-signing/private-key.pem`` (``MODEL_SIGNING_KEY`` names another
one, e.g. a CI secret), and writes its public key to ``trusted-signers/<you>.pub``, to commit.
The trusted signers are the ``*.pub`` files of ``trusted-signers/`` at the project root
(``TRUSTED_SIGNERS`` names another folder): trusting someone is a reviewed commit.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import RefusedError
from .paths import PROJECT_ROOT

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey


PRIVATE_KEY_ENV = "MODEL_SIGNING_KEY"


TRUSTED_SIGNERS_ENV = "TRUSTED_SIGNERS"


TRUSTED_SIGNERS_FOLDER = "trusted-signers"


PUBLIC_KEY_SUFFIX = ".pub"


class SigningKeyError(RefusedError, ValueError):
    """This machine cannot sign: no private key, or one this project does not trust."""


@dataclass(frozen=True)
class Signer:
    """A trusted signer: a public key committed to ``trusted-signers/``.

    Attributes:
        name: The key file's name without ``.pub``, e.g. ``ada@example.com``.
        public_key: The public key file.
        key_id: SHA-256 of the key in PEM form: how a signature names its key.
    """

    name: str
    public_key: Path
    key_id: str


def private_key_path() -> Path:
    """Where this person's private key is: ``MODEL_SIGNING_KEY``, or a per-user file."""
    configured = os.environ.get(PRIVATE_KEY_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME", "").strip() or "~/.config"
    return Path(config_home).expanduser() / "model-signing" / "private-key.pem"


def trusted_signers_folder() -> Path:
    """The folder of trusted public keys: ``TRUSTED_SIGNERS``, or ``trusted-signers/``."""
    configured = os.environ.get(TRUSTED_SIGNERS_ENV, "").strip()
    return Path(configured).expanduser() if configured else PROJECT_ROOT / TRUSTED_SIGNERS_FOLDER


def trusted_signers() -> dict[str, Signer]:
    """Return the trusted signers by key id (an unreadable key file is an error, not ignored)."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    signers = {}
    for path in sorted(trusted_signers_folder().glob(f"*{PUBLIC_KEY_SUFFIX}")):
        try:
            key = load_pem_public_key(path.read_bytes())
        except ValueError as error:
            raise SigningKeyError(f"{path} is not a PEM public key: {error}") from None
        signer = Signer(path.name.removesuffix(PUBLIC_KEY_SUFFIX), path, key_id(key))
        signers[signer.key_id] = signer
    return signers


def key_id(public_key: EllipticCurvePublicKey) -> str:
    """Return a key's id as model-signing writes it in a signature: SHA-256 of its PEM form."""
    return hashlib.sha256(_public_pem(public_key)).hexdigest()


@dataclass(frozen=True)
class KeySetup:
    """What :func:`create_key` did.

    Attributes:
        private_key: This person's private key.
        public_key: Its public key in ``trusted-signers/``.
        created_private: Whether the private key was created now (else it existed).
        created_public: Whether the public key file was written now (else it was trusted).
    """

    private_key: Path
    public_key: Path
    created_private: bool
    created_public: bool


def create_key(name: str | None = None) -> KeySetup:
    """Create this person's signing key if needed, and put its public key in trusted-signers/.

    An existing private key is kept (never overwritten): only its public key is written,
    unless the project already trusts it.

    Args:
        name: The public key's file name, without ``.pub``; default: git's ``user.email``,
            else ``user@host``.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private_path = private_key_path()
    created_private = not private_path.exists()
    if created_private:
        private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        private_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL: never overwrite a key that appeared meanwhile; 0600: readable by its owner only.
        handle = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(pem)
    public = _load_private_key(private_path).public_key()
    trusted = trusted_signers().get(key_id(public))
    if trusted is not None:
        return KeySetup(private_path, trusted.public_key, created_private, created_public=False)
    folder = trusted_signers_folder()
    folder.mkdir(parents=True, exist_ok=True)
    public_path = folder / f"{_file_name(name or default_signer_name())}{PUBLIC_KEY_SUFFIX}"
    if public_path.exists():
        raise SigningKeyError(
            f"{public_path} already holds another key: choose another name with --name"
        )
    public_path.write_bytes(_public_pem(public))
    return KeySetup(private_path, public_path, created_private, created_public=True)


def own_signer() -> Signer:
    """Return the trusted signer of this machine's private key, or say how to get one.

    Raises:
        SigningKeyError: No private key, or its public key is not in ``trusted-signers/``.
    """
    path = private_key_path()
    if not path.is_file():
        raise SigningKeyError(
            f"No signing key at {path}: models are signed by whoever trains them. Run "
            f"`make keygen` (make install does it), or set {PRIVATE_KEY_ENV} to your key file."
        )
    public = _load_private_key(path).public_key()
    signer = trusted_signers().get(key_id(public))
    if signer is None:
        raise SigningKeyError(
            f"Your signing key ({path}) is not trusted by this project: no public key in "
            f"{trusted_signers_folder()} matches it, so nobody could load your models. Run "
            "`make keygen` to add yours, and commit it."
        )
    return signer


def default_signer_name() -> str:
    """Name a new key after git's ``user.email``, else ``user@host``."""
    try:
        email = subprocess.run(
            ["git", "config", "user.email"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:  # no git
        email = ""
    return email or f"{getpass.getuser()}@{socket.gethostname()}"


def _load_private_key(path: Path):  # noqa: ANN202 - an elliptic-curve private key
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        return load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyError(f"{path} is not an unencrypted PEM private key: {error}") from None


def _public_pem(public_key: EllipticCurvePublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]+", "-", name).strip(".-") or "signer"
