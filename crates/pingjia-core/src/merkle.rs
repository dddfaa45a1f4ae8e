//! A Merkle tree over a log's entries in the manner of RFC 6962 §2.1 / RFC 9162 §2.1: the
//! hash of a leaf and the hash of an interior node are domain-separated (a leaf is
//! SHA-256(0x00 ‖ entry), a node SHA-256(0x01 ‖ left ‖ right)), so that no node can pass for a
//! leaf. The tree of n leaves splits at k, the largest power of two below n.
//!
//! - [`root`]: the tree head MTH(D[n]) of a list of leaf hashes;
//! - [`inclusion_proof`] / [`verify_inclusion`]: that one entry is the m-th leaf of a tree of a
//!   given size and root (RFC 9162 §2.1.3);
//! - [`consistency_proof`] / [`verify_consistency`]: that a tree of size m is a prefix of a tree
//!   of size n, i.e. that nothing logged was changed or removed between two checkpoints
//!   (RFC 9162 §2.1.4).
//!
//! The verifiers follow the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 and need nothing but
//! the hashes; they are what `pingjia audit verify` runs offline.

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The hash of a log entry as a leaf: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(entry);
    hasher.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) over the leaves' hashes; the hash of the empty string for an empty tree.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]): the audit path of leaf `index` in the tree of `leaves`; `None` when the
/// index is outside the tree.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    (index < leaves.len()).then(|| path(index, leaves))
}

fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    let mut proof;
    if m < k {
        proof = path(m, &leaves[..k]);
        proof.push(root(&leaves[k..]));
    } else {
        proof = path(m - k, &leaves[k..]);
        proof.push(root(&leaves[..k]));
    }
    proof
}

/// Verifies that `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

/// PROOF(m, D[n]): the consistency proof between the first `old_size` leaves and all of
/// `leaves`; `None` unless 0 < old_size ≤ n.
pub fn consistency_proof(leaves: &[Hash], old_size: usize) -> Option<Vec<Hash>> {
    (old_size > 0 && old_size <= leaves.len()).then(|| subproof(old_size, leaves, true))
}

fn subproof(m: usize, leaves: &[Hash], complete: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if complete {
            Vec::new()
        } else {
            vec![root(leaves)]
        };
    }
    let k = split(n);
    let mut proof;
    if m <= k {
        proof = subproof(m, &leaves[..k], complete);
        proof.push(root(&leaves[k..]));
    } else {
        proof = subproof(m - k, &leaves[k..], false);
        proof.push(root(&leaves[..k]));
    }
    proof
}

/// Verifies that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size == 0 || old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    // A power of two: the old root is itself the first node of the proof.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut f_r, mut s_r) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    f_r == *old_root && s_r == *new_root && s_n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The leaves of the test vectors of the Certificate Transparency reference
    /// implementations (merkle tree tests), whose roots are published with them.
    fn leaves() -> Vec<Hash> {
        let entries: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        entries.iter().map(|e| leaf_hash(e)).collect()
    }

    fn hex(hash: &Hash) -> String {
        hash.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn roots_match_the_reference_vectors() {
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = leaves();
        for (n, expected) in roots.iter().enumerate() {
            assert_eq!(hex(&root(&leaves[..=n])), *expected, "size {}", n + 1);
        }
        // The empty tree: SHA-256 of the empty string.
        assert_eq!(
            hex(&root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn the_audit_path_of_the_first_leaf_of_eight_matches_the_reference() {
        let proof = inclusion_proof(&leaves(), 0).unwrap();
        let expected = [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ];
        assert_eq!(proof.iter().map(hex).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn every_inclusion_proof_verifies_and_no_altered_one_does() {
        let all = leaves();
        for n in 1..=all.len() {
            let tree = &all[..n];
            let head = root(tree);
            for m in 0..n {
                let proof = inclusion_proof(tree, m).unwrap();
                assert!(
                    verify_inclusion(&tree[m], m as u64, n as u64, &proof, &head),
                    "{m} of {n}"
                );
                // Another leaf, another index, an index past the end, a flipped bit, a dropped or
                // an extra node: refused.
                let other = (m + 1) % n;
                if other != m {
                    assert!(!verify_inclusion(
                        &tree[other],
                        m as u64,
                        n as u64,
                        &proof,
                        &head
                    ));
                    assert!(!verify_inclusion(
                        &tree[m],
                        other as u64,
                        n as u64,
                        &proof,
                        &head
                    ));
                }
                assert!(!verify_inclusion(
                    &tree[m], n as u64, n as u64, &proof, &head
                ));
                if let Some(first) = proof.first() {
                    let mut flipped = proof.clone();
                    flipped[0][0] ^= 1;
                    assert!(!verify_inclusion(
                        &tree[m], m as u64, n as u64, &flipped, &head
                    ));
                    assert!(!verify_inclusion(
                        &tree[m],
                        m as u64,
                        n as u64,
                        &proof[1..],
                        &head
                    ));
                    let mut longer = proof.clone();
                    longer.push(*first);
                    assert!(!verify_inclusion(
                        &tree[m], m as u64, n as u64, &longer, &head
                    ));
                }
            }
        }
        assert_eq!(inclusion_proof(&all, all.len()), None);
    }

    #[test]
    fn an_interior_node_cannot_pass_for_an_entry() {
        // The second-preimage attack on a tree without domain separation: present the two
        // child hashes of the node over leaves 0 and 1 as one entry, and the tree of four
        // leaves as a tree of two. The node's hash does verify as "leaf 0 of 2", but no entry
        // hashes to it, because an entry's hash begins with 0x00 and a node's with 0x01.
        let all = leaves();
        let head = root(&all[..4]);
        let left = node_hash(&all[0], &all[1]);
        let right = node_hash(&all[2], &all[3]);
        assert!(verify_inclusion(&left, 0, 2, &[right], &head));
        let forged_entry = [all[0], all[1]].concat();
        assert_ne!(leaf_hash(&forged_entry), left);
        assert!(!verify_inclusion(
            &leaf_hash(&forged_entry),
            0,
            2,
            &[right],
            &head
        ));
    }

    #[test]
    fn every_consistency_proof_verifies_and_no_tampered_history_does() {
        let all = leaves();
        for n in 1..=all.len() {
            let new_root = root(&all[..n]);
            for m in 1..=n {
                let old_root = root(&all[..m]);
                let proof = consistency_proof(&all[..n], m).unwrap();
                assert!(
                    verify_consistency(m as u64, n as u64, &old_root, &new_root, &proof),
                    "{m} → {n}"
                );
                // A history that rewrote an early entry is not consistent.
                let mut rewritten = all[..n].to_vec();
                rewritten[0] = leaf_hash(b"rewritten");
                let forged_root = root(&rewritten);
                if m < n {
                    assert!(!verify_consistency(
                        m as u64,
                        n as u64,
                        &old_root,
                        &forged_root,
                        &proof
                    ));
                    assert!(!verify_consistency(
                        m as u64,
                        n as u64,
                        &forged_root,
                        &new_root,
                        &proof
                    ));
                    let forged = consistency_proof(&rewritten, m).unwrap();
                    assert!(!verify_consistency(
                        m as u64,
                        n as u64,
                        &old_root,
                        &forged_root,
                        &forged
                    ));
                }
            }
        }
        assert_eq!(consistency_proof(&all, 0), None);
        assert_eq!(consistency_proof(&all, all.len() + 1), None);
    }
}
