//! `--shard I/N`: static partitioning for batch schedulers (a Slurm array, a Kubernetes
//! Indexed Job). Every task runs the same command over the same paths with its own I;
//! each reads the files whose path hashes to its shard, so together they read every file
//! once, with no coordinator. The hash (FNV-1a of the path as listed) is stable across
//! machines and versions.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based: `0/4` … `3/4`.
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Whether this shard reads the file at `path`.
    pub fn owns(&self, path: &str) -> bool {
        let hash = path.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        hash % self.count == self.index
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        for bad in ["4/4", "1", "a/2", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let shards: Vec<Shard> = (0..3).map(|i| Shard { index: i, count: 3 }).collect();
        let mut per_shard = [0usize; 3];
        for k in 0..300 {
            let path = format!("/data/2024/report-{k}.docx");
            let owners: Vec<usize> = (0..3).filter(|&i| shards[i].owns(&path)).collect();
            assert_eq!(owners.len(), 1, "{path}");
            per_shard[owners[0]] += 1;
        }
        assert!(per_shard.iter().all(|&n| n > 60), "{per_shard:?}");
    }
}
