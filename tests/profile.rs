//! Docker's default seccomp profile against the kernel: the filter go-jail
//! compiles from it is loaded in a forked child (`runner::probe`) that
//! makes raw syscalls; and the CLI (`--seccomp-profile`, `--oci-config`)
//! end to end. Needs root (prints `skipping: …` otherwise).

mod common;

use std::path::PathBuf;

use bpf_asm::Arch;
use policy::SyscallTable;
use runner::probe::{self, Call};
use runner::SockFilter;

fn docker_json() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/docker-default.json")
}

/// The filter for Docker's profile with the bounding set `caps`, through
/// the CLI's own parser (`go-jail compile --format raw`).
fn docker_filter(caps: &str) -> Vec<SockFilter> {
    let dir = std::env::temp_dir().join(format!("go-jail-profile-{}-{caps}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("docker.bpf");
    let run = common::jail(&[
        "compile",
        "--seccomp-profile",
        docker_json().to_str().unwrap(),
        "--caps",
        caps,
        "--format",
        "raw",
        "-o",
        out.to_str().unwrap(),
    ]);
    run.assert_code(0);
    SockFilter::from_raw_program(&std::fs::read(&out).unwrap())
}

fn nr(name: &str) -> u32 {
    SyscallTable::lookup(Arch::X86_64, name).unwrap()
}

fn call(name: &str, args: [u64; 6]) -> Call {
    Call { nr: nr(name), args }
}

const EPERM: isize = -1;
const EINVAL: isize = -22;
const CLONE_NEWUSER: u64 = 0x1000_0000;
const CLONE_FS: u64 = 0x200;

#[test]
fn docker_profile_in_the_kernel() {
    common::needs_root!();
    if Arch::native() != Arch::X86_64 {
        eprintln!("skipping: the probe numbers are x86_64's");
        return;
    }
    // CLONE_NEWUSER|CLONE_FS is refused by the kernel itself (EINVAL), so an
    // allowed clone creates no child: EPERM = the filter, EINVAL = the kernel.
    let calls = [
        call("personality", [0xffff_ffff, 0, 0, 0, 0, 0]),
        call("personality", [0, 0, 0, 0, 0, 0]),
        call("personality", [8, 0, 0, 0, 0, 0]),
        call("personality", [0xffff_ffff, 0, 0, 0, 0, 0]),
        call("personality", [1, 0, 0, 0, 0, 0]),
        call("clone", [CLONE_NEWUSER | CLONE_FS, 0, 0, 0, 0, 0]),
        call("socket", [40, 1, 0, 0, 0, 0]),
        call("socket", [0x1_0000_0028, 1, 0, 0, 0, 0]),
        call("socket", [1, 1, 0, 0, 0, 0]),
        call("getpid", [0; 6]),
    ];
    let no_caps = probe::run_filtered(&docker_filter(""), &calls).unwrap();
    assert_eq!(no_caps.load, Ok(()));
    let r = &no_caps.results;
    println!("without CAP_SYS_ADMIN: {r:?}");
    assert_eq!(r.len(), calls.len(), "{no_caps:?}");
    assert_eq!(r[0], 0, "personality(0xffffffff) queries");
    assert_eq!(r[1], 0, "personality(0) allowed");
    assert_eq!(r[2], 0, "personality(8) allowed (returns the old persona)");
    assert_eq!(r[3], 8, "the persona is now 8");
    assert_eq!(r[4], EPERM, "personality(1) denied");
    assert_eq!(
        r[5], EPERM,
        "clone(CLONE_NEWUSER) denied without CAP_SYS_ADMIN"
    );
    assert_eq!(r[6], EPERM, "socket(AF_VSOCK) denied");
    assert_eq!(
        r[7], EPERM,
        "socket(0x1_0000_0028) is AF_VSOCK to the kernel: denied"
    );
    assert!(r[8] >= 0, "socket(AF_UNIX) allowed");
    assert!(r[9] > 0, "getpid allowed");

    let admin = probe::run_filtered(&docker_filter("CAP_SYS_ADMIN"), &calls).unwrap();
    println!("with CAP_SYS_ADMIN: {:?}", admin.results);
    assert_eq!(
        admin.results[5], EINVAL,
        "clone(CLONE_NEWUSER) allowed with CAP_SYS_ADMIN"
    );
    assert_eq!(admin.results[4], EPERM, "personality(1) still denied");
    assert_eq!(admin.results[7], EPERM);
}

#[test]
fn the_profile_through_the_run_mode() {
    common::needs_root!();
    let json = docker_json();
    let json = json.to_str().unwrap();
    let ok = common::jail(&[
        "-user",
        "nobody",
        "--seccomp-profile",
        json,
        "--",
        "/bin/sh",
        "-c",
        "exit 3",
    ]);
    ok.assert_code(3);
    if std::path::Path::new("/usr/bin/unshare").exists() {
        // unshare(2) needs CAP_SYS_ADMIN in Docker's profile
        let denied = common::jail(&[
            "-user",
            "nobody",
            "--seccomp-profile",
            json,
            "--",
            "/usr/bin/unshare",
            "-U",
            "true",
        ]);
        assert_ne!(denied.code(), Some(0), "{denied:?}");
        assert!(
            denied.stderr.contains("Operation not permitted"),
            "{denied:?}"
        );
    }
}

#[test]
fn compile_dump_shows_the_notes() {
    let run = common::jail(&[
        "compile",
        "--seccomp-profile",
        docker_json().to_str().unwrap(),
        "--dump",
    ]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("; profile: architecture SCMP_ARCH_X32 is not a go-jail target"),
        "{run:?}"
    );
    assert!(run.stderr.contains("needs CAP_SYS_ADMIN"), "{run:?}");
    assert!(run.stderr.contains("; policy for x86_64"), "{run:?}");
    assert!(!run.stderr.contains("warning"), "{run:?}");
}

#[test]
fn oci_config_supplies_the_command_and_the_filter() {
    common::needs_root!();
    let dir = std::env::temp_dir().join(format!("go-jail-oci-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seccomp = std::fs::read_to_string(docker_json()).unwrap();
    let config = format!(
        r#"{{"ociVersion":"1.0.2","process":{{"terminal":false,"user":{{"uid":65534,"gid":65534,"additionalGids":[65534]}},
        "args":["/bin/sh","-c","echo $FOO; grep -E '^(Uid|Seccomp|CapBnd):' /proc/self/status"],
        "env":["PATH=/usr/bin:/bin","FOO=bar"],"cwd":"/",
        "capabilities":{{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}},
        "noNewPrivileges":false}},"root":{{"path":"rootfs"}},"linux":{{"seccomp":{seccomp},"namespaces":[]}}}}"#
    );
    let path = dir.join("config.json");
    std::fs::write(&path, config).unwrap();
    let run = common::Run::new(
        std::process::Command::new(common::bin())
            .current_dir("/")
            .args(["--oci-partial", "--oci-config", path.to_str().unwrap()]),
    );
    run.assert_code(0);
    assert!(run.stdout.starts_with("bar\n"), "{run:?}");
    assert!(run.stdout.contains("Uid:\t65534"), "{run:?}");
    assert!(run.stdout.contains("Seccomp:\t2"), "{run:?}");
    assert!(run.stdout.contains("CapBnd:\t0000000000000020"), "{run:?}");
    assert!(run.stderr.contains("noNewPrivileges is false"), "{run:?}");
    // the command line wins over the file
    let run = common::Run::new(
        std::process::Command::new(common::bin())
            .current_dir("/")
            .args([
                "--oci-partial",
                "--oci-config",
                path.to_str().unwrap(),
                "-q",
                "--",
                "/bin/sh",
                "-c",
                "exit 4",
            ]),
    );
    run.assert_code(4);
    // compile reads linux.seccomp and lists what it leaves out
    let run = common::jail(&["compile", "--oci-config", path.to_str().unwrap(), "--dump"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("not applied by go-jail: root"),
        "{run:?}"
    );
}
