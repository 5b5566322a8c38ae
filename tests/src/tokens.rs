//! Tokens the tests forge to prove the authorizer refuses them: signed with moto's own
//! Cognito key (read from the venv's moto package), so only the claim under test is wrong.

use std::process::Command;

/// Signs `claims` (a JSON object) as an RS256 JWT with moto's Cognito private key and
/// `kid`, exactly as moto signs the ID tokens it issues.
pub fn forge_id_token(claims: &serde_json::Value) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv/bin/python");
    // moto signs with joserfc and the key in its package data; reuse both so the
    // signature is valid and the test isolates the claim it changes.
    let script = r#"
import json, sys
from joserfc import jwk, jwt
from moto.utilities.utils import load_resource
key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
print(jwt.encode({"kid": "dummy", "alg": "RS256"}, json.loads(sys.argv[1]), key))
"#;
    let out = Command::new(&python)
        .args(["-c", script, &claims.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "forging a token failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
