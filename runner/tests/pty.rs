//! The pty policy of a plan.

#[test]
fn a_plan_refuses_a_negative_pty_fd() {
    for (slave, master) in [(-1, 3), (4, -2)] {
        let r = runner::PlanBuilder::new(65534, 65534)
            .cap_last_cap(40)
            .tty(runner::TtyPolicy::Pty { slave, master })
            .command(["true"])
            .build();
        assert_eq!(
            r.err(),
            Some(runner::PlanError::BadFd(slave.min(master))),
            "{slave} {master}"
        );
    }
}

#[test]
fn only_the_pty_policy_starts_a_session() {
    use runner::TtyPolicy;
    assert!(TtyPolicy::Pty {
        slave: 4,
        master: 3
    }
    .starts_session());
    assert!(!TtyPolicy::Inherit.starts_session());
    assert!(!TtyPolicy::Detach.starts_session());
    let plan = runner::PlanBuilder::new(65534, 65534)
        .cap_last_cap(40)
        .tty(TtyPolicy::Pty {
            slave: 4,
            master: 3,
        })
        .command(["true"])
        .build()
        .unwrap();
    assert!(plan.tty().starts_session());
}
