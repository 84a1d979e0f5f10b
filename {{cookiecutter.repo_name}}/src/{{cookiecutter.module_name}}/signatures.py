"""Trust a model by who made it: sign what the project writes, verify it before reading it.

Every model a training logs, and the config it was trained with, is signed with its author's
private key (OpenSSF's ``model-signing``, with an elliptic-curve key: it works offline, with
no account and no transparency log). Every command verifies a model's signature before it
reads a byte of it, against the public keys of the trusted signers: the ``*.pub`` files in
``trusted-signers/`` at the project root, so that trusting someone is a reviewed commit.
A model that is unsigned, changed after it was signed, or signed by a key nobody committed
is refused, whatever its format: a pickle or a skops file can both run code when loaded.

Keys: ``make keygen`` (run by ``make install``) creates this person's private key outside the
repository, ``~/.config/model-signing/private-key.pem`` (``MODEL_SIGNING_KEY`` names another
one, e.g. a CI secret), and writes its public key to ``trusted-signers/<you>.pub`` for you to
commit. See docs/tracking.md, "Who can publish models".
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .paths import PROJECT_ROOT

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

PRIVATE_KEY_ENV = "MODEL_SIGNING_KEY"
TRUSTED_SIGNERS_ENV = "TRUSTED_SIGNERS"
TRUSTED_SIGNERS_FOLDER = "trusted-signers"
PUBLIC_KEY_SUFFIX = ".pub"
SIGNATURE_FILE = "model.sig"
SIGNATURE_SUFFIX = ".sig"
# Not part of a signed model folder: its signature, and the file in which MLflow records the
# registered name and version when it downloads a version (nothing reads it to load a model).
UNSIGNED_FILES = (SIGNATURE_FILE, "registered_model_meta")


class UntrustedModelError(ValueError):
    """A model or config that was not loaded because nobody trusted made it; says how to fix."""


class UnsignedModelError(UntrustedModelError):
    """No signature, or a signature by a key the project does not trust: made elsewhere."""


class TamperedModelError(UntrustedModelError):
    """Signed by a trusted key, but changed since: never loaded, whatever the user trusts."""


class SigningKeyError(ValueError):
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


def _shortened(error: Exception, limit: int = 300) -> str:
    text = str(error)
    return text if len(text) <= limit else f"{text[:limit]}…"
