//! "Does this specifier set admit a version new enough?" (OBO502), for every PEP 440 operator.
//!
//! `pep440_rs` parses and orders versions; which versions a specifier matches is implemented
//! here, after PEP 440 and `packaging` (the reference pip uses), because two of `pep440_rs`
//! 0.7's answers differ from pip's: `<1.0rc2` rejects `1.0rc1`, and `==2.22.*` accepts `2`.
//!
//! The search. Every specifier matches a finite union of intervals of the version order. An
//! intersection of such sets is empty unless one of its intervals' lower ends, or the version
//! just above it, matches every specifier. So it is enough to try, for each specifier version
//! `V`: `V` itself; its immediate successor among public versions (`successor`); the first
//! version of the next pre-release (`>1.0rc1` skips `1.0rc1.postN`); the first version of its
//! release (`V.dev0`) and of the next wildcard prefix (`!=2.22.*` resumes at `2.23.dev0`); and a
//! version above all of `V`'s release line but below every other release mentioned
//! (`after_release_line`: `>2.22.0` skips `2.22.0.postN`). Local versions (`+abc`) are never
//! published to an index, so only those written in a specifier are tried.
//!
//! Pre-releases count: a pinned pre-release newer than the minimum has the feature. A
//! pre-release of the minimum itself (`2.22.1rc1`) sorts below it and does not.

use pep440_rs::{Operator, Prerelease, Version, VersionSpecifier, VersionSpecifiers};
use std::cmp::Ordering;

/// Whether `specifiers` admit any version `>= min` (`mlflow<2.22` admits nothing `>= 2.22.1`).
pub fn admits_version_at_least(specifiers: &VersionSpecifiers, min: &Version) -> bool {
    admits_with(
        specifiers,
        &VersionSpecifier::greater_than_equal_version(min.clone()),
    )
}

/// Whether `specifiers` admit any version after `version`'s release line, in the sense of PEP
/// 440's `>version` (post-releases of `version` do not count): for a feature whose first release
/// is only known to be later than `version`.
pub fn admits_version_after(specifiers: &VersionSpecifiers, version: &Version) -> bool {
    admits_with(
        specifiers,
        &VersionSpecifier::greater_than_version(version.clone()),
    )
}

/// Whether one version matches `specifiers` and `extra`.
fn admits_with(specifiers: &VersionSpecifiers, extra: &VersionSpecifier) -> bool {
    let all: Vec<&VersionSpecifier> = specifiers.iter().chain(std::iter::once(extra)).collect();
    let longest = all
        .iter()
        .map(|s| s.version().release().len())
        .max()
        .unwrap_or(1);
    all.iter()
        .flat_map(|s| candidates(s, longest))
        .any(|candidate| all.iter().all(|s| matches(s, &candidate)))
}

/// Whether `version` matches one specifier, as pip decides it.
pub fn matches(specifier: &VersionSpecifier, version: &Version) -> bool {
    let spec = specifier.version();
    // "local version labels MUST be ignored entirely when checking if candidate versions match
    // a given version specifier", unless the specifier has one.
    let public = if spec.is_local() {
        version.clone()
    } else {
        version.clone().without_local()
    };
    match specifier.operator() {
        Operator::Equal => public == *spec,
        Operator::NotEqual => public != *spec,
        Operator::EqualStar => same_release_prefix(spec.epoch(), spec.release(), version),
        Operator::NotEqualStar => !same_release_prefix(spec.epoch(), spec.release(), version),
        // Arbitrary equality compares the strings.
        Operator::ExactEqual => version.to_string() == spec.to_string(),
        Operator::TildeEqual => {
            let release = spec.release();
            let prefix = &release[..release.len().saturating_sub(1)];
            same_release_prefix(spec.epoch(), prefix, version) && public >= *spec
        }
        Operator::GreaterThanEqual => public >= *spec,
        Operator::LessThanEqual => public <= *spec,
        Operator::GreaterThan => {
            // `>V` matches neither a post-release nor a local version of V's release, unless V
            // is itself a post-release.
            public > *spec
                && !(same_base(spec, version) && (version.is_post() && !spec.is_post()))
                && !(same_base(spec, version) && version.is_local())
        }
        Operator::LessThan => {
            // `<V` matches no pre-release of V's release, unless V is itself a pre-release.
            public < *spec
                && !(same_base(spec, version) && version.any_prerelease() && !spec.any_prerelease())
        }
    }
}

/// Same epoch and release (`1.0` and `1.0.0` are the same release).
fn same_base(a: &Version, b: &Version) -> bool {
    a.epoch() == b.epoch() && compare_release(a.release(), b.release()) == Ordering::Equal
}

fn compare_release(a: &[u64], b: &[u64]) -> Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| {
            a.get(i)
                .copied()
                .unwrap_or(0)
                .cmp(&b.get(i).copied().unwrap_or(0))
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// `version`'s release starts with `prefix`, the release padded with zeros (`2` is `2.0`).
fn same_release_prefix(epoch: u64, prefix: &[u64], version: &Version) -> bool {
    version.epoch() == epoch
        && prefix
            .iter()
            .enumerate()
            .all(|(i, p)| version.release().get(i).copied().unwrap_or(0) == *p)
}

/// The versions worth trying for one specifier (see the module docs).
fn candidates(specifier: &VersionSpecifier, longest: usize) -> Vec<Version> {
    let v = specifier.version();
    let mut out = vec![v.clone(), successor(v)];
    if let Some(pre) = v.pre() {
        out.push(
            v.clone()
                .without_local()
                .with_pre(Some(Prerelease {
                    kind: pre.kind,
                    number: pre.number.saturating_add(1),
                }))
                .with_post(None)
                .with_dev(Some(0)),
        );
    }
    let release_start = Version::new(v.release())
        .with_epoch(v.epoch())
        .with_dev(Some(0));
    out.push(release_start);
    if let Some((last, init)) = v.release().split_last() {
        let mut next_prefix = init.to_vec();
        next_prefix.push(last.saturating_add(1));
        out.push(
            Version::new(next_prefix)
                .with_epoch(v.epoch())
                .with_dev(Some(0)),
        );
    }
    out.push(after_release_line(v, longest));
    out
}

/// The next public version after `v`: nothing published sorts between them.
fn successor(v: &Version) -> Version {
    let v = v.clone().without_local();
    match (v.dev(), v.post()) {
        (Some(dev), _) => v.with_dev(Some(dev.saturating_add(1))),
        (None, Some(post)) => v.with_post(Some(post.saturating_add(1))).with_dev(Some(0)),
        (None, None) => v.with_post(Some(0)).with_dev(Some(0)),
    }
}

/// A final release above every version of `v`'s release line (all its pre-, post- and dev
/// releases) and below every greater release of at most `longest` segments: `2.22.0` with
/// `longest` 3 gives `2.22.0.1`.
fn after_release_line(v: &Version, longest: usize) -> Version {
    let mut release = v.release().to_vec();
    release.resize(longest.max(release.len()), 0);
    release.push(1);
    Version::new(release).with_epoch(v.epoch())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn at_least(spec: &str, min: &str) -> bool {
        admits_version_at_least(
            &VersionSpecifiers::from_str(spec).unwrap(),
            &Version::from_str(min).unwrap(),
        )
    }

    fn after(spec: &str, v: &str) -> bool {
        admits_version_after(
            &VersionSpecifiers::from_str(spec).unwrap(),
            &Version::from_str(v).unwrap(),
        )
    }

    #[test]
    fn no_specifier_admits_everything() {
        assert!(at_least("", "2.22.1"));
    }

    #[test]
    fn equal() {
        assert!(at_least("==2.22.1", "2.22.1"));
        assert!(at_least("==3.0", "2.22.1"));
        assert!(!at_least("==2.22.0", "2.22.1"));
        assert!(at_least("==2.22.1.0", "2.22.1"));
        assert!(!at_least("==2.22.1rc1", "2.22.1"));
        assert!(at_least("==2.22.1.post1", "2.22.1"));
        assert!(at_least("==2.22.1+local", "2.22.1"));
    }

    #[test]
    fn equal_wildcard() {
        assert!(at_least("==2.*", "2.22.1"));
        assert!(at_least("==2.22.*", "2.22.1"));
        assert!(!at_least("==2.21.*", "2.22.1"));
        assert!(!at_least("==2.22.0.*", "2.22.1"));
        assert!(at_least("==3.*", "2.22.1"));
        assert!(!at_least("==2.22.*", "2.23"));
        assert!(at_least("==2.22.*,<2.22.1", "2"));
    }

    #[test]
    fn not_equal() {
        assert!(at_least("!=2.22.1", "2.22.1"));
        assert!(!at_least("==2.22.1,!=2.22.1", "2.22.1"));
        assert!(at_least("<=2.22.1.post0,!=2.22.1", "2.22.1"));
        assert!(!at_least("<=2.22.1,!=2.22.1", "2.22.1"));
    }

    #[test]
    fn not_equal_wildcard() {
        assert!(at_least("!=2.*", "2.22.1"));
        assert!(!at_least("!=2.*,<3", "2.22.1"));
        assert!(at_least("!=2.22.*,<2.24", "2.22.1"));
        assert!(!at_least("!=2.22.*,<2.23", "2.22.1"));
    }

    #[test]
    fn compatible_release() {
        assert!(at_least("~=2.22.0", "2.22.1"));
        assert!(!at_least("~=2.21.0", "2.22.1"));
        assert!(at_least("~=2.21", "2.22.1"));
        assert!(!at_least("~=2.22.0,<2.22.1", "2.22.1"));
        assert!(at_least("~=0.44.0", "0.44.1"));
        assert!(!at_least("~=0.43.0", "0.44.1"));
    }

    #[test]
    fn ordered() {
        assert!(at_least(">=2.22.1", "2.22.1"));
        assert!(at_least(">=2.0", "2.22.1"));
        assert!(!at_least("<2.22.1", "2.22.1"));
        assert!(at_least("<3", "2.22.1"));
        assert!(!at_least("<=2.22.0", "2.22.1"));
        assert!(at_least("<=2.22.1", "2.22.1"));
        assert!(at_least(">2.22.0", "2.22.1"));
        assert!(at_least(">2.22.1", "2.22.1"));
        assert!(!at_least(">=2.0,<2.22", "2.22.1"));
        assert!(at_least(">=2.0,<3.0", "2.22.1"));
    }

    #[test]
    fn greater_than_skips_post_releases_of_its_version() {
        // 2.22.0.post1 is not > 2.22.0 for PEP 440, but 2.22.0.1 is.
        assert!(at_least(">2.22.0,<2.22.1", "2.22.0.1"));
        assert!(!at_least(">2.22.0,<=2.22.0.post9", "2.22.0"));
        assert!(at_least(">=2.22.0,<=2.22.0.post9", "2.22.0"));
        // 2.22.0.0.1 is above 2.22.0's line and below 2.22.0.1.
        assert!(at_least(">2.22.0,<2.22.0.1", "2.22.0"));
        assert!(at_least(">2.22.0.post1", "2.22.0.post2"));
    }

    #[test]
    fn less_than_skips_pre_releases_of_its_version() {
        // `<2.22.1` does not admit 2.22.1rc1 (>= 2.22.1rc1 is asked here).
        assert!(!at_least("<2.22.1", "2.22.1rc1"));
        // ...unless the bound is itself a pre-release.
        assert!(at_least("<2.22.1rc2", "2.22.1rc1"));
    }

    #[test]
    fn arbitrary_equality() {
        assert!(at_least("===2.22.1", "2.22.1"));
        assert!(!at_least("===2.22.0", "2.22.1"));
    }

    #[test]
    fn pre_releases() {
        assert!(at_least("==3.2.0rc1", "3.1.0"));
        assert!(!at_least("==3.1.0rc1", "3.1.0"));
        assert!(at_least(">=3.1.0rc1", "3.1.0"));
        assert!(!at_least(">=3.1.0rc1,<3.1.0", "3.1.0"));
        assert!(at_least(">3.1.0rc1,<3.1.1", "3.1.0"));
        assert!(at_least(">=3.1.0.dev0", "3.1.0"));
        assert!(at_least(">=2.0rc1,<2.0rc2", "1.5"));
    }

    #[test]
    fn epochs() {
        assert!(at_least(">=1!1.0", "2.22.1"));
        assert!(!at_least("<1!0", "1!2.0"));
    }

    #[test]
    fn after_a_release_line() {
        assert!(!after("==3.15.0", "3.15.0"));
        assert!(!after("<=3.15.0.post3", "3.15.0"));
        assert!(after("==3.16.0", "3.15.0"));
        assert!(after(">=3.15", "3.15.0"));
        assert!(after("", "3.15.0"));
        assert!(after("<3.15.1,>=3.0", "3.15.0"));
        assert!(after("<3.16,>=3.0", "3.15.0"));
        assert!(!after("~=3.15.0,<=3.15.0.post5", "3.15.0"));
        // 3.15.0.0.1 is a later release line than 3.15.0, and below 3.15.0.1.
        assert!(after("~=3.15.0,<3.15.0.1", "3.15.0"));
    }

    #[test]
    fn matches_is_pip_s_semantics() {
        let m = |spec: &str, v: &str| {
            matches(
                &VersionSpecifier::from_str(spec).unwrap(),
                &Version::from_str(v).unwrap(),
            )
        };
        assert!(m("<1.0rc2", "1.0rc1"));
        assert!(!m("<3.1", "3.1.dev0"));
        assert!(m("<3.1", "3.0.dev0"));
        assert!(!m(">3.1", "3.1.post0"));
        assert!(m(">3.1", "3.2.post0"));
        assert!(!m(">3.1", "3.1+local"));
        assert!(m("==1.0", "1.0+local"));
        assert!(!m("==1.0+a", "1.0+b"));
        assert!(m("==2.22.*", "2.22.0rc1"));
        assert!(!m("==2.22.*", "2"));
        assert!(m("!=2.22.*", "2"));
        assert!(m("~=2.2.post3", "2.3"));
        assert!(!m("~=2.2.post3", "3.0"));
    }
}
