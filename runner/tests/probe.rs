//! The probe against the real kernel: filters are loaded only in forked children.

use runner::abi::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64};
use runner::probe::{kernel_accepts, run_filtered, run_filtered_int80, Call, ExitKind};
use runner::{Errno, SockFilter};

const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const RET_K: u16 = 0x06; // BPF_RET | BPF_K
const RET_ALLOW: u32 = 0x7fff_0000;
const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;

const NR_GETPID: u32 = 39;
const NR_GETPPID: u32 = 110;
const NR_GETUID: u32 = 102;
const I386_GETPID: u32 = 20;

fn ret(k: u32) -> SockFilter {
    SockFilter::new(RET_K, 0, 0, k)
}

#[test]
fn errno_decoding() {
    assert_eq!(Errno::result(-1), Err(Errno::EPERM));
    assert_eq!(Errno::result(-4095), Err(Errno(4095)));
    assert_eq!(Errno::result(-4096), Ok((-4096isize) as usize));
    assert_eq!(Errno::result(5), Ok(5));
    assert_eq!(Errno::EPERM.to_string(), "Operation not permitted");
    assert_eq!(Errno::ENOENT.to_string(), "No such file or directory");
    assert_eq!(Errno::ENAMETOOLONG.to_string(), "File name too long");
    assert_eq!(Errno::EACCES.name(), Some("EACCES"));
    assert_eq!(Errno(999).to_string(), "errno 999");
    assert_eq!(Errno(999).name(), None);
    assert_eq!(format!("{:?}", Errno::ENOSYS), "ENOSYS");
    assert_eq!(std::io::Error::from(Errno::EBADF).raw_os_error(), Some(9));
}

#[test]
fn ret_errno_makes_getpid_fail_and_exit_falls_back_to_sigill() {
    let out = run_filtered(&[ret(RET_ERRNO | 77)], &[Call::new(NR_GETPID)]).unwrap();
    assert_eq!(out.load, Ok(()));
    assert_eq!(out.results, vec![-77]);
    // exit_group is refused too, so the child ends itself with ud2
    assert_eq!(out.exit, ExitKind::Signaled(4));
}

#[test]
fn allow_lets_getpid_through() {
    let me = std::process::id() as isize;
    let out = run_filtered(
        &[ret(RET_ALLOW)],
        &[
            Call::new(NR_GETPID),
            Call::new(NR_GETPPID),
            Call::new(0xffff_ffff),
        ],
    )
    .unwrap();
    assert_eq!(out.load, Ok(()));
    assert_eq!(out.exit, ExitKind::Exited(0));
    assert!(
        out.results[0] > 0 && out.results[0] != me,
        "{:?}",
        out.results
    );
    assert_eq!(out.results[1], me);
    assert_eq!(out.results[2], -(Errno::ENOSYS.0 as isize));
}

#[test]
fn kill_process_stops_mid_way() {
    let filter = [
        SockFilter::new(LD_W_ABS, 0, 0, OFF_NR),
        SockFilter::new(JEQ_K, 0, 1, NR_GETPID),
        ret(RET_KILL_PROCESS),
        ret(RET_ALLOW),
    ];
    let calls = [
        Call::new(NR_GETUID),
        Call::new(NR_GETPID),
        Call::new(NR_GETUID),
    ];
    let out = run_filtered(&filter, &calls).unwrap();
    assert_eq!(out.load, Ok(()));
    assert_eq!(out.results.len(), 1);
    assert_eq!(out.exit, ExitKind::Signaled(31));
    assert_eq!(out.exit.shell_status(), 159);
}

#[test]
fn kernel_verifier_verdicts() {
    assert_eq!(kernel_accepts(&[]), Err(Errno::EINVAL));
    assert_eq!(
        kernel_accepts(&[SockFilter::new(LD_W_ABS, 0, 0, OFF_NR)]),
        Err(Errno::EINVAL)
    );
    // a jump past the end
    assert_eq!(
        kernel_accepts(&[SockFilter::new(JEQ_K, 5, 0, 1), ret(RET_ALLOW)]),
        Err(Errno::EINVAL)
    );
    // a misaligned seccomp_data load
    assert_eq!(
        kernel_accepts(&[SockFilter::new(LD_W_ABS, 0, 0, 1), ret(RET_ALLOW)]),
        Err(Errno::EINVAL)
    );
    assert_eq!(kernel_accepts(&[ret(RET_ALLOW)]), Ok(()));
}

#[test]
fn int80_sees_the_i386_arch() {
    let deny_i386 = [
        SockFilter::new(LD_W_ABS, 0, 0, OFF_ARCH),
        SockFilter::new(JEQ_K, 0, 1, AUDIT_ARCH_I386),
        ret(RET_ERRNO | 55),
        ret(RET_ALLOW),
    ];
    let out = run_filtered_int80(&deny_i386, &[Call::new(I386_GETPID)]).unwrap();
    assert_eq!(out.results, vec![-55]);
    assert_eq!(out.exit, ExitKind::Exited(0));
    let native = run_filtered(&deny_i386, &[Call::new(NR_GETPID)]).unwrap();
    assert!(native.results[0] > 0);

    let allow = run_filtered_int80(
        &[ret(RET_ALLOW)],
        &[Call::with_args(I386_GETPID, [u64::MAX; 6])],
    )
    .unwrap();
    assert!(allow.results[0] > 0, "{allow:?}");

    let x86_64_only = [
        SockFilter::new(LD_W_ABS, 0, 0, OFF_ARCH),
        SockFilter::new(JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        ret(RET_KILL_PROCESS),
        ret(RET_ALLOW),
    ];
    let killed = run_filtered_int80(&x86_64_only, &[Call::new(I386_GETPID)]).unwrap();
    assert_eq!(killed.results, Vec::<isize>::new());
    assert_eq!(killed.exit, ExitKind::Signaled(31));
}
