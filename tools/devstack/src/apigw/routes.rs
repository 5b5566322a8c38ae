//! Matching request paths against the template's resource paths as API Gateway does:
//! a literal segment beats `{param}`, which beats `{proxy+}`; `ANY` matches every method
//! but an explicit method wins.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

pub fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut out = Vec::with_capacity(segs.len());
    for (i, s) in segs.iter().enumerate() {
        if let Some(inner) = s.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
            if let Some(name) = inner.strip_suffix('+') {
                if i + 1 != segs.len() {
                    return Err(format!("{path}: {{{inner}}} must be the last segment"));
                }
                out.push(Segment::Greedy(name.to_owned()));
            } else {
                out.push(Segment::Param(inner.to_owned()));
            }
        } else if s.contains('{') || s.contains('}') {
            return Err(format!("{path}: segment {s:?} mixes text and a parameter"));
        } else {
            out.push(Segment::Literal((*s).to_owned()));
        }
    }
    Ok(out)
}

/// Rank of a match, compared segment by segment (higher is more specific).
fn rank(segs: &[Segment]) -> Vec<u8> {
    segs.iter()
        .map(|s| match s {
            Segment::Literal(_) => 3,
            Segment::Param(_) => 2,
            Segment::Greedy(_) => 1,
        })
        .collect()
}

/// Path parameters when `segs` matches the (raw, still percent-encoded) request path.
pub fn match_path(segs: &[Segment], path: &str) -> Option<BTreeMap<String, String>> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // "/" and "" are the root; a single trailing slash is tolerated as API Gateway does.
    let parts: Vec<&str> = match parts.as_slice() {
        [""] => vec![],
        [rest @ .., ""] => rest.to_vec(),
        all => all.to_vec(),
    };
    let mut params = BTreeMap::new();
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Segment::Greedy(name) => {
                let rest = &parts[i.min(parts.len())..];
                if rest.is_empty() || rest.iter().any(|p| p.is_empty()) {
                    return None;
                }
                params.insert(name.clone(), rest.join("/"));
                return Some(params);
            }
            _ if i >= parts.len() => return None,
            Segment::Literal(l) => {
                if parts[i] != l {
                    return None;
                }
            }
            Segment::Param(name) => {
                if parts[i].is_empty() {
                    return None;
                }
                params.insert(name.clone(), parts[i].to_owned());
            }
        }
    }
    (segs.len() == parts.len()).then_some(params)
}

/// Index of the best route for (method, path) among `routes` = (segments, method).
pub fn best_match<'a, I>(
    routes: I,
    method: &str,
    path: &str,
) -> Option<(usize, BTreeMap<String, String>)>
where
    I: IntoIterator<Item = (&'a [Segment], &'a str)>,
{
    // (route index, path parameters, specificity rank, exact method match)
    type Candidate = (usize, BTreeMap<String, String>, Vec<u8>, bool);
    let mut best: Option<Candidate> = None;
    for (i, (segs, m)) in routes.into_iter().enumerate() {
        let exact = m.eq_ignore_ascii_case(method);
        if !exact && m != "ANY" {
            continue;
        }
        let Some(params) = match_path(segs, path) else {
            continue;
        };
        let r = rank(segs);
        let better = match &best {
            None => true,
            Some((_, _, br, bexact)) => r > *br || (r == *br && exact && !bexact),
        };
        if better {
            best = Some((i, params, r, exact));
        }
    }
    best.map(|(i, p, _, _)| (i, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Vec<(Vec<Segment>, &'static str)> {
        [
            ("/v1/users", "GET"),
            ("/v1/users/me", "GET"),
            ("/v1/users/{id}", "GET"),
            ("/v1/files/{proxy+}", "ANY"),
            ("/v1/files/{proxy+}", "DELETE"),
            ("/", "GET"),
        ]
        .iter()
        .map(|(p, m)| (parse_path(p).unwrap(), *m))
        .collect()
    }

    fn find(method: &str, path: &str) -> Option<(usize, BTreeMap<String, String>)> {
        let r = routes();
        best_match(r.iter().map(|(s, m)| (s.as_slice(), *m)), method, path)
    }

    #[test]
    fn literal_beats_param_and_params_are_extracted() {
        assert_eq!(find("GET", "/v1/users/me").unwrap().0, 1);
        let (i, p) = find("get", "/v1/users/abc").unwrap();
        assert_eq!(i, 2);
        assert_eq!(p["id"], "abc");
        assert_eq!(find("GET", "/v1/users").unwrap().0, 0);
        assert_eq!(find("GET", "/v1/users/").unwrap().0, 0);
        assert_eq!(find("GET", "/").unwrap().0, 5);
    }

    #[test]
    fn greedy_and_any() {
        let (i, p) = find("PUT", "/v1/files/a/b/c").unwrap();
        assert_eq!(i, 3);
        assert_eq!(p["proxy"], "a/b/c");
        assert_eq!(find("DELETE", "/v1/files/a").unwrap().0, 4);
        assert!(find("PUT", "/v1/files").is_none());
    }

    #[test]
    fn misses() {
        assert!(find("POST", "/v1/users").is_none());
        assert!(find("GET", "/v1/users/a/b").is_none());
        assert!(find("GET", "/v1/nope").is_none());
        assert!(find("GET", "/v1//me").is_none());
    }

    #[test]
    fn bad_paths() {
        assert!(parse_path("/a/{p+}/b").is_err());
        assert!(parse_path("/a/x{p}").is_err());
    }
}
