//! Docker's default seccomp profile against the kernel: the filter go-jail
//! compiles from it is loaded in a forked child (`runner::probe`) that
//! makes raw syscalls; and the CLI (`--seccomp-profile`, `--oci-config`)
//! end to end. Needs root (prints `skipping: …` otherwise).

mod common;

use std::path::{Path, PathBuf};

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

/// The filter `go-jail compile` makes of `json` (a profile), raw.
fn profile_filter(tag: &str, json: &str) -> Vec<SockFilter> {
    let dir = common::scratch_dir();
    let path = dir.join(format!("{tag}.json"));
    std::fs::write(&path, json).unwrap();
    let out = dir.join(format!("{tag}.bpf"));
    let run = common::jail(&[
        "compile",
        "-q",
        "--seccomp-profile",
        path.to_str().unwrap(),
        "--format",
        "raw",
        "-o",
        out.to_str().unwrap(),
    ]);
    run.assert_code(0);
    SockFilter::from_raw_program(&std::fs::read(&out).unwrap())
}

/// An unnamed `clone3` gets ENOSYS only where the default action denies
/// (so glibc falls back to `clone`, which a filter can inspect); under
/// ALLOW or LOG it gets the default. A number above the table gets ENOSYS
/// under every default. Checked in the kernel for each default action.
#[test]
fn clone3_gets_enosys_only_under_a_denying_default() {
    common::needs_root!();
    if Arch::native() != Arch::X86_64 {
        eprintln!("skipping: the probe numbers are x86_64's");
        return;
    }
    const ENOSYS: isize = -38;
    const SIGSYS: i32 = 31;
    // clone3(NULL, 0) is EINVAL when the kernel gets to see it
    let calls = [
        Call::new(nr("clone3")),
        Call::new(SyscallTable::max_nr(Arch::X86_64) + 1),
        Call::new(nr("getppid")),
    ];
    for (default, clone3, last) in [
        ("SCMP_ACT_ALLOW", EINVAL, "allowed"),
        ("SCMP_ACT_LOG", EINVAL, "allowed"),
        ("SCMP_ACT_ERRNO", ENOSYS, "eperm"),
        ("SCMP_ACT_KILL_PROCESS", ENOSYS, "killed"),
        ("SCMP_ACT_KILL", ENOSYS, "killed"),
        ("SCMP_ACT_TRAP", ENOSYS, "killed"),
    ] {
        let json = format!(
            r#"{{"defaultAction":"{default}","syscalls":[{{"names":["exit","exit_group"],"action":"SCMP_ACT_ALLOW"}},{{"names":["getpid"],"action":"SCMP_ACT_ERRNO"}}]}}"#
        );
        let out = probe::run_filtered(&profile_filter("clone3-default", &json), &calls).unwrap();
        assert_eq!(out.load, Ok(()), "{default}");
        let r = &out.results;
        assert!(r.len() >= 2, "{default}: {out:?}");
        assert_eq!(r[0], clone3, "clone3 under {default}");
        assert_eq!(r[1], ENOSYS, "above the table under {default}");
        match last {
            "allowed" => assert!(r[2] > 0, "{default}: {out:?}"),
            "eperm" => assert_eq!(r[2], EPERM, "{default}"),
            _ => assert_eq!(out.exit, probe::ExitKind::Signaled(SIGSYS), "{default}"),
        }
    }
}

fn podman_json() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/podman-default.json")
}

/// The filter of a profile file with the bounding set `caps`, through the CLI.
fn file_filter(tag: &str, option: &str, path: &std::path::Path, caps: &str) -> Vec<SockFilter> {
    let out = common::scratch_dir().join(format!("{tag}.bpf"));
    let run = common::jail(&[
        "compile",
        option,
        path.to_str().unwrap(),
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

const DOCKER_CAPS: &str = "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FSETID,CAP_FOWNER,CAP_MKNOD,CAP_NET_RAW,\
CAP_SETGID,CAP_SETUID,CAP_SETFCAP,CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_SYS_CHROOT,CAP_KILL,CAP_AUDIT_WRITE";

/// Podman's default profile (containers/common `pkg/seccomp/seccomp.json`,
/// unmodified) compiles with no caps, Docker's default container caps and
/// CAP_SYS_ADMIN, and the kernel answers as the profile says: the
/// `defaultErrno: ENOSYS`, the `errno: EPERM`/`EINVAL` names, and the
/// mixed actions of `setns` (an unconditional ALLOW beats a later ERRNO, as
/// in libseccomp) and `perf_event_open`.
#[test]
fn podman_profile_in_the_kernel() {
    common::needs_root!();
    if Arch::native() != Arch::X86_64 {
        eprintln!("skipping: the probe numbers are x86_64's");
        return;
    }
    const ENOSYS: isize = -38;
    const EBADF: isize = -9;
    const AF_NETLINK: u64 = 16;
    const SOCK_RAW: u64 = 3;
    const NETLINK_AUDIT: u64 = 9;
    let calls = [
        call("add_key", [0; 6]),
        call("kexec_load", [0; 6]),
        call("socket", [AF_NETLINK, SOCK_RAW, NETLINK_AUDIT, 0, 0, 0]),
        call("socket", [AF_NETLINK, SOCK_RAW, 0, 0, 0, 0]),
        call("setns", [u64::MAX, 0, 0, 0, 0, 0]),
        call("perf_event_open", [0, 0, u64::MAX, u64::MAX, 0, 0]),
        call("getpid", [0; 6]),
    ];
    let json = podman_json();
    for (caps, audit_socket, perf) in [
        ("", EINVAL, EPERM),
        (DOCKER_CAPS, 0, EPERM),
        ("CAP_SYS_ADMIN", EINVAL, ENOSYS),
    ] {
        let filter = file_filter("podman", "--seccomp-profile", &json, caps);
        let out = probe::run_filtered(&filter, &calls).unwrap();
        assert_eq!(out.load, Ok(()), "{caps}");
        let r = &out.results;
        println!("podman caps={caps:?}: {r:?}");
        assert_eq!(r.len(), calls.len(), "{caps}: {out:?}");
        assert_eq!(r[0], ENOSYS, "add_key: defaultErrno ENOSYS ({caps})");
        assert_eq!(r[1], EPERM, "kexec_load: errno EPERM ({caps})");
        if audit_socket == 0 {
            assert!(
                r[2] >= 0,
                "NETLINK_AUDIT socket with CAP_AUDIT_WRITE: {r:?}"
            );
        } else {
            assert_eq!(r[2], audit_socket, "NETLINK_AUDIT: errno EINVAL ({caps})");
        }
        assert!(r[3] >= 0, "NETLINK_ROUTE socket allowed ({caps}): {r:?}");
        assert_eq!(r[4], EBADF, "setns: the unconditional ALLOW wins ({caps})");
        assert_eq!(r[5], perf, "perf_event_open ({caps})");
        assert!(r[6] > 0, "getpid ({caps})");
    }
}

/// A profile in each format go-jail reads, each with its own fields, and
/// the kernel's answer for the syscalls whose rules use them:
/// Docker/moby (`defaultErrnoRet`, `archMap`, `comment`,
/// `includes`/`excludes` with `caps`, `arches` and `minKernel`, `errnoRet`,
/// `MASKED_EQ` with `valueTwo`), the OCI runtime-spec's `linux.seccomp`
/// (`architectures`, `flags`, `listenerMetadata`) and containers/common (`defaultErrno`, `errno` as a name and as a
/// decimal number, taking precedence over `errnoRet`).
#[test]
fn each_profile_format_with_its_fields_in_the_kernel() {
    common::needs_root!();
    if Arch::native() != Arch::X86_64 {
        eprintln!("skipping: the probe numbers are x86_64's");
        return;
    }
    const EACCES: isize = -13;
    const E2BIG: isize = -7;
    const ENOSYS: isize = -38;
    let exits = r#"{"names":["exit","exit_group"],"action":"SCMP_ACT_ALLOW"}"#;
    let moby = format!(
        r#"{{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
        "archMap":[{{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]}}],
        "syscalls":[{exits},
        {{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"comment":"c","includes":{{"minKernel":"4.0"}}}},
        {{"names":["getuid"],"action":"SCMP_ACT_ALLOW","includes":{{"minKernel":"99.0"}}}},
        {{"names":["getgid"],"action":"SCMP_ACT_ALLOW","excludes":{{"arches":["amd64"]}}}},
        {{"names":["geteuid"],"action":"SCMP_ACT_ALLOW","includes":{{"caps":["CAP_KILL"],"arches":["amd64"]}}}},
        {{"names":["kill"],"action":"SCMP_ACT_ERRNO","errnoRet":7,
          "args":[{{"index":1,"value":255,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}}]}}]}}"#
    );
    let moby_calls = [
        (
            call("getppid", [0; 6]),
            EACCES,
            "includes.minKernel 4.0 applies",
        ),
        (
            call("getuid", [0; 6]),
            EPERM,
            "includes.minKernel 99.0 leaves it out",
        ),
        (call("getgid", [0; 6]), EPERM, "excludes.arches amd64"),
        (call("geteuid", [0; 6]), 0, "includes.caps CAP_KILL granted"),
        (
            call("kill", [0x7fff_fff0, 0x100, 0, 0, 0, 0]),
            E2BIG,
            "MASKED_EQ",
        ),
        (
            call("kill", [0x7fff_fff0, 1, 0, 0, 0, 0]),
            EPERM,
            "defaultErrnoRet",
        ),
    ];
    let oci_seccomp = format!(
        r#"{{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
        "flags":["SECCOMP_FILTER_FLAG_LOG"],"listenerMetadata":"",
        "syscalls":[{exits},{{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":13}},
        {{"names":["geteuid"],"action":"SCMP_ACT_ALLOW"}}]}}"#
    );
    let oci = format!(
        r#"{{"ociVersion":"1.0.2","process":{{"user":{{"uid":65534,"gid":65534}},"args":["/bin/true"],"cwd":"/",
        "capabilities":{{"bounding":["CAP_KILL"]}}}},"linux":{{"seccomp":{oci_seccomp}}}}}"#
    );
    let oci_calls = [
        (call("getppid", [0; 6]), EACCES, "errnoRet"),
        (call("getuid", [0; 6]), ENOSYS, "defaultErrnoRet 38"),
        (call("geteuid", [0; 6]), 0, "allowed"),
    ];
    let podman = format!(
        r#"{{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"defaultErrno":"ENOSYS",
        "syscalls":[{exits},
        {{"names":["getppid"],"action":"SCMP_ACT_ERRNO","args":[],"comment":"","includes":{{}},"excludes":{{}},"errnoRet":1,"errno":"EACCES"}},
        {{"names":["getuid"],"action":"SCMP_ACT_ERRNO","errno":"7"}},
        {{"names":["kill"],"action":"SCMP_ACT_ERRNO","errno":"EPERM","excludes":{{"caps":["CAP_KILL"]}}}},
        {{"names":["tkill"],"action":"SCMP_ACT_ERRNO","errno":"EPERM","excludes":{{"caps":["CAP_SYS_ADMIN"]}}}}]}}"#
    );
    let podman_calls = [
        (
            call("getppid", [0; 6]),
            EACCES,
            "errno EACCES before errnoRet 1",
        ),
        (call("getuid", [0; 6]), E2BIG, "errno \"7\""),
        (
            call("kill", [0x7fff_fff0, 1, 0, 0, 0, 0]),
            ENOSYS,
            "excluded with CAP_KILL",
        ),
        (
            call("tkill", [0x7fff_fff0, 1, 0, 0, 0, 0]),
            EPERM,
            "errno EPERM",
        ),
        (call("getgid", [0; 6]), ENOSYS, "defaultErrno ENOSYS"),
    ];
    let dir = common::scratch_dir();
    for (tag, option, text, calls) in [
        ("moby", "--seccomp-profile", moby, &moby_calls[..]),
        ("oci", "--oci-config", oci, &oci_calls[..]),
        ("podman", "--seccomp-profile", podman, &podman_calls[..]),
    ] {
        let path = dir.join(format!("format-{tag}.json"));
        std::fs::write(&path, text).unwrap();
        let filter = file_filter(&format!("format-{tag}"), option, &path, "CAP_KILL");
        let probes: Vec<Call> = calls.iter().map(|c| c.0).collect();
        let out = probe::run_filtered(&filter, &probes).unwrap();
        assert_eq!(out.load, Ok(()), "{tag}");
        assert_eq!(out.results.len(), calls.len(), "{tag}: {out:?}");
        for ((_, want, why), got) in calls.iter().zip(&out.results) {
            if *want == 0 {
                assert!(*got >= 0, "{tag}: {why}: {got}");
            } else {
                assert_eq!(got, want, "{tag}: {why}");
            }
        }
    }
}

/// A profile's errno above the kernel's 4095 is refused in one line naming
/// the field and the value (libseccomp refuses it too); `--errno`-style.
#[test]
fn a_profile_errno_above_4095_is_refused() {
    let dir = common::scratch_dir();
    for (field, value, shown) in [
        ("errnoRet", "12345", "syscalls[0].errnoRet: errno 12345"),
        ("errno", "\"4096\"", "syscalls[0].errno: errno '4096'"),
        (
            "errno",
            "\"EFOO\"",
            "syscalls[0].errno: unknown errno 'EFOO'",
        ),
    ] {
        let path = dir.join(format!("errno-{field}.json"));
        std::fs::write(
            &path,
            format!(
                r#"{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{{"names":["getpid"],"action":"SCMP_ACT_ERRNO","{field}":{value}}}]}}"#
            ),
        )
        .unwrap();
        let run = common::jail(&["compile", "--seccomp-profile", path.to_str().unwrap()]);
        run.assert_code(125);
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
        assert!(run.stderr.contains(shown), "{run:?}");
    }
}

/// `go-jail compile --seccomp-profile PATH --dump -o /dev/null`, checked
/// to succeed, and its stdout and stderr together.
fn compile_dump(path: &Path) -> (common::Run, String) {
    let path = path.to_str().unwrap();
    let run = common::jail(&[
        "compile",
        "--seccomp-profile",
        path,
        "--dump",
        "-o",
        "/dev/null",
    ]);
    run.assert_code(0);
    let dump = format!("{}{}", run.stdout, run.stderr);
    (run, dump)
}

/// `compile --dump` says which rule won where two applicable rules give
/// one syscall different actions (#16).
#[test]
fn compile_dump_names_the_winner_of_mixed_actions() {
    let (run, dump) = compile_dump(&podman_json());
    assert!(
        dump.contains(
            "; profile: syscalls[16]: 'setns' already has an unconditional rule (syscalls[1]), which stays"
        ),
        "{run:?}"
    );
    let path = common::scratch_dir().join("mixed.json");
    std::fs::write(
        &path,
        r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
        {"names":["personality"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
        {"names":["personality","socket"],"action":"SCMP_ACT_ALLOW"},
        {"names":["mmap"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":4,"op":"SCMP_CMP_MASKED_EQ","valueTwo":0}]},
        {"names":["mmap"],"action":"SCMP_ACT_LOG","args":[{"index":3,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#,
    )
    .unwrap();
    let (run, dump) = compile_dump(&path);
    assert!(
        dump.contains("; profile: syscalls[0]: the conditional rule for 'personality' is dropped: syscalls[1] gives it an unconditional action, which wins"),
        "{run:?}"
    );
    assert!(
        // x86_64 alone, values the kernel reads whole: go-jail follows
        // libseccomp's tree (args[3] before args[2]) and says so
        dump.contains("; profile: syscalls[2], syscalls[3] give 'mmap' different actions under conditions that can both hold: where several do, the rule libseccomp's argument tree reaches first answers, as in libseccomp"),
        "{run:?}"
    );
}

/// Ten overlapping `mmap` rules with different actions on x86_64 and x86:
/// the rules of libseccomp's 64-bit tree would take 5,544 instructions,
/// past the kernel's 4096, so go-jail keeps the whole-condition order on
/// x86_64 (and says so) and the program fits.
#[test]
fn many_overlapping_rules_still_fit_the_kernels_limit() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/overlapping-many.json");
    let (run, dump) = compile_dump(&path);
    assert!(dump.contains("as in libseccomp (on x86;"), "{run:?}");
    assert!(
        dump.contains("wins (it comes first in libseccomp's argument-tree order)"),
        "{run:?}"
    );
}

/// Mixed actions as libseccomp (and so runc, crun, Podman) builds them: a
/// syscall's unconditional rule discards its conditional rules, before or
/// after it; the first unconditional rule stays.
#[test]
fn an_unconditional_rule_drops_the_conditional_ones_in_the_kernel() {
    common::needs_root!();
    if Arch::native() != Arch::X86_64 {
        eprintln!("skipping: the probe numbers are x86_64's");
        return;
    }
    let json = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
        {"names":["exit","exit_group"],"action":"SCMP_ACT_ALLOW"},
        {"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]},
        {"names":["getppid","getuid"],"action":"SCMP_ACT_ALLOW"},
        {"names":["getuid"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
        {"names":["getuid"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}]}"#;
    let calls = [call("getppid", [0; 6]), call("getuid", [0; 6])];
    let out = probe::run_filtered(&profile_filter("mixed", json), &calls).unwrap();
    assert_eq!(out.load, Ok(()));
    assert!(
        out.results[0] > 0,
        "getppid: the later unconditional ALLOW wins: {out:?}"
    );
    assert!(
        out.results[1] >= 0,
        "getuid: the first unconditional ALLOW stays: {out:?}"
    );
}

/// A profile that lists each of 60 six-condition `mmap` rules twice
/// compiles to the program of the rules listed once: a rule an earlier one
/// shadows is left out (`policy::matcher`). Before, the repeats doubled the
/// program to 5,044 instructions, past the kernel's 4,096.
#[test]
fn a_profile_that_lists_its_rules_twice_compiles_as_if_once() {
    let rule = |i: u64| {
        let args: Vec<String> = (0..6)
            .map(|k| {
                format!(
                    r#"{{"index":{k},"value":{},"op":"SCMP_CMP_EQ"}}"#,
                    1 + (i * 37 + k * 11) % 997
                )
            })
            .collect();
        format!(
            r#"{{"names":["mmap"],"action":"SCMP_ACT_ALLOW","args":[{}]}}"#,
            args.join(",")
        )
    };
    let rules: Vec<String> = (0..60).map(rule).collect();
    let profile = |times: usize| {
        let listed = vec![rules.join(","); times].join(",");
        format!(
            r#"{{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{{"names":["execve","exit_group"],"action":"SCMP_ACT_ALLOW"}},{listed}]}}"#
        )
    };
    let program = |times: usize| {
        let path = common::scratch_dir().join(format!("listed-{times}.json"));
        std::fs::write(&path, profile(times)).unwrap();
        let run = common::jail(&[
            "compile",
            "--seccomp-profile",
            path.to_str().unwrap(),
            "--format",
            "raw",
        ]);
        run.assert_code(0);
        run.output.stdout
    };
    let once = program(1);
    assert!(once.len() > 8 * 1000, "{} bytes", once.len());
    assert_eq!(program(2), once);
}
