//! `--oci-config` fails closed (issue 12, finding 6) and runs a real
//! `runc spec` config (issue 16): fields go-jail cannot apply are refused
//! unless `--oci-partial`, `process.rlimits` is applied, and ambient caps
//! are raised for a non-root user and noted as meaningless for uid 0.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{jail, needs_root, status_field, Run};

/// A fresh directory for one test's bundle.
fn bundle(name: &str) -> PathBuf {
    let dir = common::scratch_dir().join(format!("oci-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The config.json `runc spec` writes in `dir`, parsed; `None` (with a
/// printed reason) without runc (.ci/run installs it).
fn runc_spec(dir: &Path) -> Option<serde_json::Value> {
    match Command::new("runc").arg("spec").current_dir(dir).status() {
        Ok(s) if s.success() => {}
        other => {
            eprintln!("skipping: `runc spec` did not run ({other:?}); apt-get install runc");
            return None;
        }
    }
    let text = std::fs::read_to_string(dir.join("config.json")).unwrap();
    Some(serde_json::from_str(&text).unwrap())
}

fn write_config(dir: &Path, config: &serde_json::Value) -> String {
    let path = dir.join("config.json");
    std::fs::write(&path, serde_json::to_string_pretty(config).unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

/// A command that prints its ids, capabilities and open-files limit.
fn status_probe() -> serde_json::Value {
    serde_json::json!([
        "sh",
        "-c",
        "cat /proc/self/status; grep -E '^Max (open files|core file size)' /proc/self/limits"
    ])
}

/// `runc spec` with only `process.args` and `process.terminal` changed.
fn runc_round_trip_config(name: &str) -> Option<(PathBuf, String)> {
    let dir = bundle(name);
    let mut config = runc_spec(&dir)?;
    config["process"]["args"] = status_probe();
    config["process"]["terminal"] = false.into();
    let path = write_config(&dir, &config);
    Some((dir, path))
}

#[test]
fn an_unmodified_runc_spec_is_refused_naming_each_field() {
    let Some((_dir, path)) = runc_round_trip_config("refused") else {
        return;
    };
    let r = jail(&["--allow-root", "--oci-config", &path]);
    r.assert_code(125);
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    for field in [
        "mounts",
        "root.path",
        "root.readonly",
        "linux.namespaces",
        "linux.maskedPaths",
        "linux.readonlyPaths",
        "linux.resources",
        "hostname",
    ] {
        assert!(r.stderr.contains(field), "{field} not named: {r:?}");
    }
    assert!(r.stderr.contains("--oci-partial"), "{r:?}");
    assert!(r.stdout.is_empty(), "the command ran: {r:?}");
}

#[test]
fn runc_spec_runs_with_allow_root_and_oci_partial() {
    needs_root!();
    let Some((_dir, path)) = runc_round_trip_config("partial") else {
        return;
    };
    let r = jail(&["--allow-root", "--oci-partial", "--oci-config", &path]);
    r.assert_code(0);
    assert_eq!(status_field(&r.stdout, "Uid"), "0\t0\t0\t0");
    // runc spec's set: CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
    assert_eq!(status_field(&r.stdout, "CapBnd"), "0000000020000420");
    assert_eq!(status_field(&r.stdout, "CapEff"), "0000000020000420");
    assert_eq!(status_field(&r.stdout, "CapAmb"), "0000000000000000");
    // process.rlimits: RLIMIT_NOFILE 1024/1024
    assert!(
        r.stdout
            .contains("Max open files            1024                 1024"),
        "{r:?}"
    );
    let warnings: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("not applied"))
        .collect();
    assert_eq!(warnings.len(), 8, "one line per field: {r:?}");
    assert_eq!(
        r.stderr.matches("linux.namespaces not applied").count(),
        1,
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("note: ambient caps CAP_KILL,CAP_NET_BIND_SERVICE,CAP_AUDIT_WRITE add nothing for a uid 0 target"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("make no sense"), "{r:?}");
}

/// A config for `nobody` with ambient caps and rlimits, and nothing go-jail
/// cannot apply.
fn nobody_config(extra: serde_json::Value) -> serde_json::Value {
    let caps = serde_json::json!(["CAP_NET_BIND_SERVICE", "CAP_KILL"]);
    let mut config = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": {"uid": 65534, "gid": 65534},
            "args": status_probe(),
            "env": ["PATH=/usr/bin:/bin"],
            "cwd": "/",
            "capabilities": {
                "bounding": caps, "effective": caps, "permitted": caps, "ambient": caps
            },
            "rlimits": [
                {"type": "RLIMIT_NOFILE", "hard": 777, "soft": 555},
                {"type": "RLIMIT_CORE", "hard": 0, "soft": 0}
            ],
            "noNewPrivileges": true
        },
        "root": {"path": "/"}
    });
    if let serde_json::Value::Object(extra) = extra {
        for (k, v) in extra {
            config[k] = v;
        }
    }
    config
}

#[test]
fn a_non_root_user_gets_its_ambient_caps_and_rlimits() {
    needs_root!();
    let dir = bundle("nobody");
    let path = write_config(&dir, &nobody_config(serde_json::json!({})));
    let r = jail(&["--oci-config", &path]);
    r.assert_code(0);
    assert_eq!(status_field(&r.stdout, "Uid"), "65534\t65534\t65534\t65534");
    // CAP_KILL (5) and CAP_NET_BIND_SERVICE (10)
    assert_eq!(status_field(&r.stdout, "CapAmb"), "0000000000000420");
    assert_eq!(status_field(&r.stdout, "CapEff"), "0000000000000420");
    assert!(
        r.stdout
            .contains("Max open files            555                  777"),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("Max core file size        0                    0"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("not applied"), "{r:?}");
}

#[test]
fn each_isolation_field_is_refused_alone() {
    needs_root!();
    for (field, value) in [
        (
            "linux",
            serde_json::json!({"namespaces": [{"type": "pid"}]}),
        ),
        ("linux", serde_json::json!({"maskedPaths": ["/proc/kcore"]})),
        ("linux", serde_json::json!({"readonlyPaths": ["/proc/sys"]})),
        (
            "linux",
            serde_json::json!({"resources": {"pids": {"limit": 10}}}),
        ),
        (
            "linux",
            serde_json::json!({"sysctl": {"net.ipv4.ip_forward": "0"}}),
        ),
        (
            "mounts",
            serde_json::json!([{"destination": "/proc", "type": "proc"}]),
        ),
        ("root", serde_json::json!({"path": "/", "readonly": true})),
        (
            "hooks",
            serde_json::json!({"prestart": [{"path": "/bin/true"}]}),
        ),
    ] {
        let dir = bundle("alone");
        let config = nobody_config(serde_json::json!({ field: value }));
        let path = write_config(&dir, &config);
        let r = jail(&["--oci-config", &path]);
        r.assert_code(125);
        assert!(r.stdout.is_empty(), "the command ran: {r:?}");
        let inner = value
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .filter(|_| field == "linux" || field == "root")
            .map(|k| {
                let k = if k == "path" { "readonly".into() } else { k };
                format!("{field}.{k}")
            })
            .unwrap_or_else(|| field.to_owned());
        assert!(
            r.stderr.contains(&format!("cannot apply {inner}:")),
            "{inner}: {r:?}"
        );
    }
    // empty lists ask for nothing
    let dir = bundle("empty");
    let config = nobody_config(serde_json::json!({
        "mounts": [], "linux": {"namespaces": [], "maskedPaths": []}, "hooks": {}
    }));
    let path = write_config(&dir, &config);
    jail(&["--oci-config", &path]).assert_code(0);
}

#[test]
fn bad_rlimits_are_one_line_errors() {
    needs_root!();
    for (rlimits, expected) in [
        (
            serde_json::json!([{"type": "RLIMIT_BOGUS", "hard": 1, "soft": 1}]),
            "process.rlimits[0].type: unknown resource 'RLIMIT_BOGUS'",
        ),
        (
            serde_json::json!([{"type": "RLIMIT_NOFILE", "hard": 1, "soft": 2}]),
            "process.rlimits[0]: RLIMIT_NOFILE soft limit 2 is above the hard limit 1",
        ),
    ] {
        let dir = bundle("badrlimit");
        let mut config = nobody_config(serde_json::json!({}));
        config["process"]["rlimits"] = rlimits;
        let path = write_config(&dir, &config);
        let r = jail(&["--oci-config", &path]);
        r.assert_code(125);
        assert!(r.stderr.contains(expected), "{r:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    }
}

#[test]
fn a_hard_limit_above_the_callers_fails_closed_naming_the_rlimit() {
    needs_root!();
    // raising RLIMIT_NOFILE's hard limit above fs.nr_open fails (EPERM)
    // even for root: the step is named, nothing runs
    let dir = bundle("rlimitfail");
    let mut config = nobody_config(serde_json::json!({}));
    config["process"]["rlimits"] =
        serde_json::json!([{"type": "RLIMIT_NOFILE", "hard": 1u64 << 40, "soft": 1024}]);
    let path = write_config(&dir, &config);
    let r = Run::new(Command::new(common::bin()).args(["--oci-config", &path]));
    r.assert_code(125);
    assert!(
        r.stderr
            .contains("prlimit64(RLIMIT_NOFILE): Operation not permitted"),
        "{r:?}"
    );
    assert!(r.stdout.is_empty(), "{r:?}");
}
