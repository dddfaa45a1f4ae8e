//! Signed checkpoints of a log: its origin, its size and its Merkle root ([`crate::merkle`]),
//! in the text form of the C2SP `tlog-checkpoint` specification, signed as a C2SP
//! `signed-note` with Ed25519.
//!
//! A checkpoint's body is three lines, each ending in a newline:
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! ```
//!
//! The signed note is the body, a blank line, and one line per signature:
//! `— <key name> <base64(key id ‖ signature)>`, where the signature is Ed25519 over the body and
//! the key id is the first four bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key). A
//! verifier key is written `<name>+<key id, 8 hex digits>+<base64(0x01 ‖ public key)>`.

use crate::merkle::Hash;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;

/// The algorithm byte of an Ed25519 key in a note's keys.
const ED25519: u8 = 0x01;
/// The signature line's mark: an em dash and a space.
const MARK: &str = "\u{2014} ";

/// A log's state at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Names the log (e.g. its site), so a checkpoint of one log cannot pass for another's.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

/// Why a checkpoint or a key was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The key text is not a key of this form.
    MalformedKey,
    /// The note is not a body, a blank line and signature lines.
    MalformedNote,
    /// The body is not origin, size and root.
    MalformedCheckpoint,
    /// No signature of the given key verifies.
    NoValidSignature,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::MalformedKey => "malformed key",
            Error::MalformedNote => "malformed signed note",
            Error::MalformedCheckpoint => "malformed checkpoint",
            Error::NoValidSignature => "no valid signature by the key",
        })
    }
}

impl std::error::Error for Error {}

impl Checkpoint {
    /// The body text that is signed.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    /// Reads a body: exactly origin, size and root (extension lines are not used here).
    pub fn parse(body: &str) -> Result<Checkpoint, Error> {
        let lines: Vec<&str> = body
            .strip_suffix('\n')
            .ok_or(Error::MalformedCheckpoint)?
            .split('\n')
            .collect();
        let [origin, size, root] = lines[..] else {
            return Err(Error::MalformedCheckpoint);
        };
        if origin.is_empty()
            || size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(Error::MalformedCheckpoint);
        }
        let size = size.parse().map_err(|_| Error::MalformedCheckpoint)?;
        let root: Hash = STANDARD
            .decode(root)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(Error::MalformedCheckpoint)?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

/// The id of a key: the first four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key).
fn key_id(name: &str, public: &VerifyingKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([ED25519]);
    hasher.update(public.as_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('+')
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A signing key with its name.
pub struct Signer {
    name: String,
    key: SigningKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from a 32-byte Ed25519 seed (the caller draws it from a secure source).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Signer, Error> {
        if !valid_name(name) {
            return Err(Error::MalformedKey);
        }
        Ok(Signer {
            name: name.to_owned(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Reads `PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ seed)>`.
    pub fn from_private_key(text: &str) -> Result<Signer, Error> {
        let rest = text
            .trim_end()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(Error::MalformedKey)?;
        let (name, id, key) = split_key(rest)?;
        let bytes = STANDARD.decode(key).map_err(|_| Error::MalformedKey)?;
        let seed: [u8; 32] = match bytes.split_first() {
            Some((&ED25519, seed)) => seed.try_into().map_err(|_| Error::MalformedKey)?,
            _ => return Err(Error::MalformedKey),
        };
        let signer = Signer::from_seed(name, seed)?;
        if key_id(name, &signer.key.verifying_key()) != id {
            return Err(Error::MalformedKey);
        }
        Ok(signer)
    }

    /// The private key's text form (keep it outside the database).
    pub fn private_key(&self) -> String {
        let mut bytes = vec![ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex(&key_id(&self.name, &self.key.verifying_key())),
            STANDARD.encode(bytes)
        )
    }

    /// The verifier key anyone may hold: `<name>+<key id>+<base64(0x01 ‖ public key)>`.
    pub fn verifier_key(&self) -> String {
        let public = self.key.verifying_key();
        let mut bytes = vec![ED25519];
        bytes.extend_from_slice(public.as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex(&key_id(&self.name, &public)),
            STANDARD.encode(bytes)
        )
    }

    /// Signs a note's text (which must end with a newline): the text, a blank line, and the
    /// signature line.
    pub fn sign_text(&self, text: &str) -> String {
        let signature = self.key.sign(text.as_bytes());
        let mut bytes = key_id(&self.name, &self.key.verifying_key()).to_vec();
        bytes.extend_from_slice(&signature.to_bytes());
        format!("{text}\n{MARK}{} {}\n", self.name, STANDARD.encode(bytes))
    }

    /// Signs a checkpoint.
    pub fn sign(&self, checkpoint: &Checkpoint) -> String {
        self.sign_text(&checkpoint.body())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `<name>+<8 hex digits>+<base64>` → (name, id, base64 text).
fn split_key(text: &str) -> Result<(&str, [u8; 4], &str), Error> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Error::MalformedKey);
    };
    if !valid_name(name) || id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::MalformedKey);
    }
    let id = u32::from_str_radix(id, 16)
        .map_err(|_| Error::MalformedKey)?
        .to_be_bytes();
    Ok((name, id, key))
}

/// A verifier key read from its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl Verifier {
    pub fn parse(text: &str) -> Result<Verifier, Error> {
        let (name, id, key) = split_key(text.trim())?;
        let bytes = STANDARD.decode(key).map_err(|_| Error::MalformedKey)?;
        let public: [u8; 32] = match bytes.split_first() {
            Some((&ED25519, public)) => public.try_into().map_err(|_| Error::MalformedKey)?,
            _ => return Err(Error::MalformedKey),
        };
        let key = VerifyingKey::from_bytes(&public).map_err(|_| Error::MalformedKey)?;
        if key_id(name, &key) != id {
            return Err(Error::MalformedKey);
        }
        Ok(Verifier {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// The text of a signed note whose signature by this key verifies; other signatures are
    /// ignored (a note may carry several).
    pub fn open_text<'n>(&self, note: &'n str) -> Result<&'n str, Error> {
        let split = note.rfind("\n\n").ok_or(Error::MalformedNote)?;
        let (text, signatures) = (&note[..=split], &note[split + 2..]);
        if signatures.is_empty() || !signatures.ends_with('\n') {
            return Err(Error::MalformedNote);
        }
        let mut verified = false;
        for line in signatures
            .strip_suffix('\n')
            .unwrap_or(signatures)
            .split('\n')
        {
            let line = line.strip_prefix(MARK).ok_or(Error::MalformedNote)?;
            let (name, encoded) = line.split_once(' ').ok_or(Error::MalformedNote)?;
            let bytes = STANDARD.decode(encoded).map_err(|_| Error::MalformedNote)?;
            if name != self.name || bytes.len() != 4 + 64 || bytes[..4] != self.id {
                continue;
            }
            let Ok(signature) = Signature::from_slice(&bytes[4..]) else {
                continue;
            };
            if self.key.verify_strict(text.as_bytes(), &signature).is_ok() {
                verified = true;
            }
        }
        if verified {
            Ok(text)
        } else {
            Err(Error::NoValidSignature)
        }
    }

    /// The checkpoint of a signed note whose signature by this key verifies.
    pub fn open(&self, note: &str) -> Result<Checkpoint, Error> {
        Checkpoint::parse(self.open_text(note)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Go reference implementation of signed notes
    // (golang.org/x/mod/sumdb/note): its key pair, text and signature.
    const PRIVATE: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const SIGNATURE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    #[test]
    fn the_reference_example_signs_and_verifies() {
        let signer = Signer::from_private_key(PRIVATE).unwrap();
        assert_eq!(signer.verifier_key(), VERIFIER);
        assert_eq!(signer.private_key(), PRIVATE);
        let note = signer.sign_text(TEXT);
        assert_eq!(note, format!("{TEXT}\n{SIGNATURE}"));
        let verifier = Verifier::parse(VERIFIER).unwrap();
        assert_eq!(verifier.open_text(&note), Ok(TEXT));
    }

    fn signer() -> Signer {
        Signer::from_seed("pingjia.example/audit", [7; 32]).unwrap()
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            origin: "pingjia.example/audit".into(),
            size: 8,
            root: [0xab; 32],
        }
    }

    #[test]
    fn a_checkpoint_round_trips() {
        let signer = signer();
        let note = signer.sign(&checkpoint());
        assert!(note.starts_with("pingjia.example/audit\n8\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\u{2014} pingjia.example/audit "));
        let verifier = Verifier::parse(&signer.verifier_key()).unwrap();
        assert_eq!(verifier.open(&note), Ok(checkpoint()));
    }

    #[test]
    fn a_tampered_or_foreign_checkpoint_is_refused() {
        let signer = signer();
        let verifier = Verifier::parse(&signer.verifier_key()).unwrap();
        let note = signer.sign(&checkpoint());
        // Another size, another root, another origin: the signature no longer holds.
        for (from, to) in [
            ("\n8\n", "\n9\n"),
            ("q6ur", "q6us"),
            ("pingjia.example/audit\n8", "other.example\n8"),
        ] {
            let forged = note.replacen(from, to, 1);
            assert_ne!(forged, note);
            assert!(verifier.open(&forged).is_err(), "{from} → {to}");
        }
        // The same checkpoint signed by another key under the same name.
        let other = Signer::from_seed("pingjia.example/audit", [8; 32]).unwrap();
        assert_eq!(
            verifier.open(&other.sign(&checkpoint())),
            Err(Error::NoValidSignature)
        );
        // A signature line dropped; a body without its blank line.
        let body_only = checkpoint().body();
        assert_eq!(verifier.open(&body_only), Err(Error::MalformedNote));
        // A key with a wrong id.
        let key = signer.verifier_key();
        let mut parts: Vec<&str> = key.splitn(3, '+').collect();
        parts[1] = "00000000";
        assert_eq!(Verifier::parse(&parts.join("+")), Err(Error::MalformedKey));
    }

    #[test]
    fn a_body_is_exactly_origin_size_and_root() {
        let root = STANDARD.encode([1u8; 32]);
        assert!(Checkpoint::parse(&format!("o\n1\n{root}\n")).is_ok());
        for bad in [
            format!("o\n1\n{root}"),
            format!("o\n01\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("\n1\n{root}\n"),
            format!("o\n1\n{root}\nextra\n"),
            "o\n1\nAAAA\n".to_owned(),
        ] {
            assert_eq!(
                Checkpoint::parse(&bad),
                Err(Error::MalformedCheckpoint),
                "{bad:?}"
            );
        }
    }
}
