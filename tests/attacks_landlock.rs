//! Attacks on the Landlock and network guards (attack2 review). Each test
//! states the secure outcome. The io_uring ones were escapes, fixed by the
//! network guard refusing `io_uring_setup`; the two ignored ones are
//! Landlock's documented limit (`--fs-rx` governs `execve`, not code mapped
//! by a program that can already run: ld.so, memfd) and fail by design.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{bin, build_c, needs_root, Run};

/// A 0777 directory under /tmp the jailed nobody can reach (removed on drop).
struct Dir(PathBuf);
impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("go-jail-atk-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777)).unwrap();
        Dir(p)
    }
    fn join(&self, n: &str) -> String {
        self.0.join(n).to_str().unwrap().to_owned()
    }
}
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds `source` and copies it into `dir` (mode 0755) as `name`.
fn probe(dir: &Dir, name: &str, source: &str) -> Option<String> {
    let exe = build_c(name, source)?;
    let dst = dir.join(name);
    std::fs::copy(exe, &dst).unwrap();
    std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o755)).unwrap();
    Some(dst)
}

fn nobody(args: &[&str], cmd: &[&str]) -> Run {
    let mut all = vec!["-user", "nobody"];
    all.extend_from_slice(args);
    all.push("--");
    all.extend_from_slice(cmd);
    Run::new(Command::new(bin()).args(&all))
}

const URING_UDP: &str = r#"#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <stdlib.h>
int main(int argc,char**argv){
  int s0=socket(AF_INET,SOCK_DGRAM,0);
  printf("direct socket(AF_INET,DGRAM)=%d errno=%d\n",s0,s0<0?errno:0);
  struct io_uring_params p; memset(&p,0,sizeof p);
  int fd=syscall(__NR_io_uring_setup,4,&p);
  if(fd<0){printf("io_uring_setup: errno=%d\n",errno);return 2;}
  size_t sqsz=p.sq_off.array+p.sq_entries*4, cqsz=p.cq_off.cqes+p.cq_entries*sizeof(struct io_uring_cqe);
  char*sq=mmap(0,sqsz,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,fd,IORING_OFF_SQ_RING);
  char*cq=mmap(0,cqsz,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,fd,IORING_OFF_CQ_RING);
  struct io_uring_sqe*sqes=mmap(0,p.sq_entries*sizeof(struct io_uring_sqe),PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,fd,IORING_OFF_SQES);
  unsigned*tail=(unsigned*)(sq+p.sq_off.tail),*arr=(unsigned*)(sq+p.sq_off.array);
  memset(&sqes[0],0,sizeof sqes[0]);
  sqes[0].opcode=IORING_OP_SOCKET; sqes[0].fd=AF_INET; sqes[0].off=SOCK_DGRAM; sqes[0].len=0;
  arr[0]=0; __atomic_store_n(tail,1,__ATOMIC_RELEASE);
  int r=syscall(__NR_io_uring_enter,fd,1,1,IORING_ENTER_GETEVENTS,0,0);
  struct io_uring_cqe*c=(struct io_uring_cqe*)(cq+p.cq_off.cqes);
  int s=c[0].res;
  printf("io_uring_enter=%d IORING_OP_SOCKET(AF_INET,DGRAM) res=%d\n",r,s);
  if(s>=0){struct sockaddr_in a={.sin_family=AF_INET,.sin_port=htons(argc>1?atoi(argv[1]):9999)};a.sin_addr.s_addr=htonl(0x7f000001);
    int n=sendto(s,"ESCAPED\n",8,0,(void*)&a,sizeof a);printf("sendto=%d errno=%d\n",n,n<0?errno:0);}
  return 0;}
"#;
const URING_UNIX: &str = r#"#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
int main(int argc,char**argv){
  int s0=socket(AF_UNIX,SOCK_STREAM,0);
  printf("direct socket(AF_UNIX)=%d errno=%d\n",s0,s0<0?errno:0);
  struct io_uring_params p; memset(&p,0,sizeof p);
  int fd=syscall(__NR_io_uring_setup,4,&p);
  if(fd<0){printf("io_uring_setup: errno=%d\n",errno);return 2;}
  char*sq=mmap(0,p.sq_off.array+p.sq_entries*4,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,fd,IORING_OFF_SQ_RING);
  char*cq=mmap(0,p.cq_off.cqes+p.cq_entries*sizeof(struct io_uring_cqe),PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,fd,IORING_OFF_CQ_RING);
  struct io_uring_sqe*sqes=mmap(0,p.sq_entries*sizeof(struct io_uring_sqe),PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,fd,IORING_OFF_SQES);
  unsigned*tail=(unsigned*)(sq+p.sq_off.tail),*arr=(unsigned*)(sq+p.sq_off.array);
  memset(&sqes[0],0,sizeof sqes[0]);
  sqes[0].opcode=IORING_OP_SOCKET; sqes[0].fd=AF_UNIX; sqes[0].off=SOCK_STREAM;
  arr[0]=0; __atomic_store_n(tail,1,__ATOMIC_RELEASE);
  syscall(__NR_io_uring_enter,fd,1,1,IORING_ENTER_GETEVENTS,0,0);
  int s=((struct io_uring_cqe*)(cq+p.cq_off.cqes))[0].res;
  printf("IORING_OP_SOCKET(AF_UNIX) res=%d\n",s);
  struct sockaddr_un a={.sun_family=AF_UNIX}; strcpy(a.sun_path,argv[1]);
  int r=connect(s,(void*)&a,sizeof a); printf("connect(%s)=%d errno=%d\n",argv[1],r,r<0?errno:0);
  if(r==0) write(s,"ESCAPED\n",8);
  return 0;}
"#;
const MEMFD_EXEC: &str = r#"#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdio.h>
#include <errno.h>
int main(int c,char**v){int src=open(v[1],O_RDONLY);printf("open src=%d errno=%d\n",src,errno);
 int m=memfd_create("x",0);char b[65536];int n;while((n=read(src,b,sizeof b))>0)write(m,b,n);
 char*a[]={"x",NULL};char*e[]={NULL};int r=execveat(m,"",a,e,AT_EMPTY_PATH);printf("execveat memfd=%d errno=%d\n",r,errno);return 1;}
"#;

/// --no-net: the seccomp guard refuses socket(AF_INET), but io_uring's
/// IORING_OP_SOCKET creates the UDP socket without the socket syscall, and
/// Landlock (ABI < 10) has no UDP rule, so the datagram leaves the jail.
#[test]
fn no_net_io_uring_socket_sends_udp() {
    needs_root!();
    let d = Dir::new("uring-udp");
    let Some(p) = probe(&d, "uring_udp", URING_UDP) else {
        return;
    };
    let l = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    l.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let r = nobody(&["--no-net"], &[&p, &port]);
    let mut buf = [0u8; 64];
    let got = l.recv_from(&mut buf).ok();
    assert!(got.is_none(), "a datagram escaped --no-net: {r:?}");
}

/// --no-unix: socket(AF_UNIX) is refused by the filter, but io_uring's
/// IORING_OP_SOCKET makes one and connect() reaches a pathname socket outside.
#[test]
fn no_unix_io_uring_socket_connects() {
    needs_root!();
    let d = Dir::new("uring-unix");
    let Some(p) = probe(&d, "uring_unix", URING_UNIX) else {
        return;
    };
    let path = d.join("sock");
    let l = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
    l.set_nonblocking(true).unwrap();
    let r = nobody(&["--no-unix"], &[&p, &path]);
    assert!(
        l.accept().is_err(),
        "a unix connection escaped --no-unix: {r:?}"
    );
}

/// --fs-ro grants no execute, yet copying an ro binary into a memfd and
/// execveat(AT_EMPTY_PATH) runs it (Landlock ignores private/anonymous files).
#[test]
#[ignore = "known Landlock limit (README): memfd_create+execveat runs a copy of a binary read from an ro-only tree"]
fn memfd_execveat_runs_ro_binary() {
    needs_root!();
    let d = Dir::new("memfd");
    let Some(p) = probe(&d, "memfd_exec", MEMFD_EXEC) else {
        return;
    };
    let ro = Dir::new("memfd-ro");
    let t = ro.join("mytrue");
    std::fs::copy("/bin/true", &t).unwrap();
    std::fs::set_permissions(&t, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = nobody(
        &[
            "--fs-system",
            "--fs-rx",
            &p,
            "--fs-ro",
            &ro.0.to_string_lossy(),
        ],
        &[&p, &t],
    );
    assert_ne!(
        r.code(),
        Some(0),
        "the ro binary ran through a memfd: {r:?}"
    );
}

/// --fs-ro grants no execute, yet the ELF interpreter (in --fs-system's rx)
/// maps and runs an ro binary: `ld-linux-x86-64.so.2 RO_BINARY`.
#[test]
#[ignore = "known Landlock limit (README): the ELF interpreter maps and runs a binary from an ro-only tree"]
fn ld_so_runs_ro_binary() {
    needs_root!();
    let ro = Dir::new("ldso-ro");
    let t = ro.join("mytrue");
    std::fs::copy("/bin/true", &t).unwrap();
    std::fs::set_permissions(&t, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = nobody(
        &["--fs-system", "--fs-ro", &ro.0.to_string_lossy()],
        &["/lib64/ld-linux-x86-64.so.2", &t],
    );
    assert_ne!(r.code(), Some(0), "the ro binary ran through ld.so: {r:?}");
}
