//! Architecture invariants from ARCHITECTURE.md, checked on the real workspace.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `cargo metadata` as JSON.
fn metadata() -> serde_json::Value {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// The names of `package`'s normal (non-dev, non-build) dependencies.
fn normal_dependencies(meta: &serde_json::Value, package: &str) -> Vec<(String, bool)> {
    let pkg = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == package)
        .unwrap_or_else(|| panic!("package {package} in the workspace"));
    pkg["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"].is_null())
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_owned(),
                d["path"].is_string(),
            )
        })
        .collect()
}

#[test]
fn bpf_asm_and_runner_depend_on_nothing_outside_the_workspace() {
    let meta = metadata();
    for package in ["bpf-asm", "runner"] {
        for (dep, in_workspace) in normal_dependencies(&meta, package) {
            assert!(
                in_workspace,
                "{package} depends on {dep}, which is not in the workspace"
            );
        }
    }
}

#[test]
fn only_dev_dependencies_enable_the_runners_probe_harness() {
    // `runner::probe` forks and makes arbitrary raw syscalls: a test tool,
    // never part of what the binary or a library user gets by default.
    let meta = metadata();
    for pkg in meta["packages"].as_array().unwrap() {
        for dep in pkg["dependencies"].as_array().unwrap() {
            if dep["name"] != "runner" || dep["kind"] == "dev" {
                continue;
            }
            let features = dep["features"].as_array().unwrap();
            assert!(
                !features.iter().any(|f| f == "probe"),
                "{} enables runner's probe feature outside its dev-dependencies",
                pkg["name"]
            );
        }
    }
    let runner = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "runner")
        .unwrap();
    let default = runner["features"]["default"].as_array();
    assert!(
        default.is_none_or(|d| !d.iter().any(|f| f == "probe")),
        "runner's default features include probe"
    );
}

#[test]
fn clap_and_serde_are_used_only_by_the_cli() {
    let meta = metadata();
    for package in ["bpf-asm", "policy", "runner", "testkit"] {
        for (dep, _) in normal_dependencies(&meta, package) {
            assert!(
                !["clap", "serde", "serde_json", "nix", "libc"].contains(&dep.as_str()),
                "{package} depends on {dep}"
            );
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if !path.ends_with("target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn unsafe_code_lives_only_in_runner_sys() {
    let root = workspace();
    let sys = root.join("runner/src/sys");
    let mut files = Vec::new();
    for dir in [
        "src", "bpf-asm", "policy", "runner", "testkit", "tests", "benches", "fuzz",
    ] {
        if root.join(dir).is_dir() {
            rust_files(&root.join(dir), &mut files);
        }
    }
    let needle = ["unsafe", " {"].concat();
    let needle_fn = ["unsafe", " fn"].concat();
    let needle_impl = ["unsafe", " impl"].concat();
    for file in files {
        if file.starts_with(&sys) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !(code.contains(&needle)
                    || code.contains(&needle_fn)
                    || code.contains(&needle_impl)),
                "{}:{}: unsafe outside runner/src/sys: {line}",
                file.display(),
                n + 1
            );
        }
    }
}

#[test]
fn runners_sys_module_is_private() {
    // The CLI and any library user reach the kernel through runner's safe
    // public modules (`supervisor`, `process`, ...), never `runner::sys`.
    let lib = std::fs::read_to_string(workspace().join("runner/src/lib.rs")).unwrap();
    let decl: Vec<&str> = (lib.lines())
        .map(str::trim)
        .filter(|l| l.ends_with("mod sys;"))
        .collect();
    assert_eq!(
        decl,
        ["mod sys;"],
        "runner/src/lib.rs declares sys as {decl:?}"
    );
}

#[test]
fn every_unsafe_block_in_runner_sys_has_a_safety_comment() {
    let mut files = Vec::new();
    rust_files(&workspace().join("runner/src/sys"), &mut files);
    let needle = ["unsafe", " {"].concat();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            if !line.split("//").next().unwrap_or("").contains(&needle) {
                continue;
            }
            // The SAFETY comment sits on one of the lines just above the block.
            let window = &lines[n.saturating_sub(6)..=n];
            assert!(
                window.iter().any(|l| l.contains("SAFETY:")),
                "{}:{}: unsafe block without a // SAFETY: comment",
                file.display(),
                n + 1
            );
        }
    }
}

/// Every Rust file of the repository (the workspace, `fuzz/`, `benches/`),
/// build output left out.
fn all_rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&workspace(), &mut files);
    files
}

#[test]
fn no_file_is_compiled_in_by_path_except_the_runners_arch_select() {
    // Code is shared through crates (`go_jail`, `testkit`), never by
    // compiling one file into two crates. The one `#[path]` left picks
    // runner's per-arch syscall numbers by `cfg`.
    let root = workspace();
    let allowed = root.join("runner/src/sys/mod.rs");
    let needle = ["#[", "path"].concat();
    let mut found = Vec::new();
    for file in all_rust_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !code.replace(' ', "").contains(&needle) {
                continue;
            }
            let arch_select = file == allowed && code.contains("\"x86_64.rs\"");
            if !arch_select {
                found.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "files compiled in by a path attribute:\n{}",
        found.join("\n")
    );
}

/// The lines of the CLI's sources (`src/`) holding `needle` outside a
/// comment, as `path:line: text`, except in the files `allowed` (relative
/// to `src/`).
fn cli_lines_with(needle: &str, allowed: &[&str]) -> Vec<String> {
    let src = workspace().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if allowed.contains(&relative.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains(needle) {
                found.push(format!("src/{relative}:{}: {line}", n + 1));
            }
        }
    }
    found
}

#[test]
fn no_computed_value_rides_in_a_clap_struct() {
    // The run configuration (`src/run_config/`) holds what is resolved;
    // the clap structs hold only what the command line says.
    let skip = |attr: &str| cli_lines_with(&["#[", attr, "("].concat(), &[]);
    let found: Vec<String> = (skip("arg").into_iter().chain(skip("clap")))
        .filter(|line| line.contains("skip"))
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn an_arch_list_is_parsed_only_by_the_policy_input() {
    // `--arch` is read once, into `PolicyInput`; the others ask it.
    let found = cli_lines_with(
        &["parse_", "arches("].concat(),
        &["arches.rs", "policy_input/mod.rs"],
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_oci_config_is_read_only_by_its_loader() {
    // `oci::LoadedConfig::read`, called once by `RunConfig::resolve` (or
    // by `PolicyInput::new` for the tools).
    let found = cli_lines_with(&["oci::", "read("].concat(), &["oci.rs"]);
    let loads = cli_lines_with(&["LoadedConfig::", "read("].concat(), &[]);
    assert!(found.is_empty(), "{}", found.join("\n"));
    assert_eq!(loads.len(), 2, "{}", loads.join("\n"));
}
