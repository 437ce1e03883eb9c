//! A profile's meaning: [`Profile::to_spec`] and the rules it follows (see
//! the [module doc](super)).

use std::collections::HashMap;

use bpf_asm::Arch;

use super::names::{cap_number, moby_arch_name, scmp_arch, scmp_arch_name};
use super::{Arg, Context, Entry, Filter, Note, Profile, ProfileAction, SeccompProfileError};
use crate::action::Action;
use crate::condition::{CmpOp, Condition};
use crate::spec::{Mode, PolicySpec, Rule};
use crate::table::SyscallTable;

/// An `ERRNO` action's errno must be in [`crate::action::ERRNO_RANGE`],
/// as `--errno`'s (`TRACE`'s 16 bits are a message, not an errno).
fn check_errno(action: Action, entry: Option<usize>) -> Result<(), SeccompProfileError> {
    match action {
        Action::Errno(errno) if !crate::action::ERRNO_RANGE.contains(&errno) => {
            Err(SeccompProfileError::ErrnoRange { entry, errno })
        }
        _ => Ok(()),
    }
}

impl Profile {
    /// The target arches: `architectures`, or the native arch's `archMap`
    /// entry and its sub-arches; the native arch alone when neither names
    /// it (libseccomp always keeps the native arch). Native first.
    pub fn target_arches(
        &self,
        native: Arch,
    ) -> Result<(Vec<Arch>, Vec<Note>), SeccompProfileError> {
        if !self.architectures.is_empty() && !self.arch_map.is_empty() {
            return Err(SeccompProfileError::BothArchLists);
        }
        let names: Vec<&String> = if !self.architectures.is_empty() {
            self.architectures.iter().collect()
        } else {
            self.arch_map
                .iter()
                .filter(|m| m.arch == scmp_arch_name(native))
                .flat_map(|m| std::iter::once(&m.arch).chain(m.sub_arches.iter()))
                .collect()
        };
        let mut arches = vec![native];
        let mut notes = Vec::new();
        for n in names {
            match scmp_arch(n) {
                Some(a) if !arches.contains(&a) => arches.push(a),
                Some(_) => {}
                None => {
                    let note = Note::ArchSkipped(n.clone());
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                }
            }
        }
        Ok((arches, notes))
    }

    /// Why `filter` (as `includes`, or as `excludes` when `exclude`) leaves
    /// the entry out in `ctx`; `None` when it applies.
    fn filtered_out(
        filter: &Filter,
        exclude: bool,
        ctx: &Context,
        notes: &mut Vec<Note>,
    ) -> Option<String> {
        let has_cap = |c: &String, notes: &mut Vec<Note>| match cap_number(c) {
            Some(n) => n < 64 && ctx.caps & (1 << n) != 0,
            None => {
                let note = Note::UnknownCap(c.clone());
                if !notes.contains(&note) {
                    notes.push(note);
                }
                false
            }
        };
        let arch = moby_arch_name(ctx.arch);
        if exclude {
            if filter.arches.iter().any(|a| a == arch) {
                return Some(format!("excluded on {arch}"));
            }
            for c in &filter.caps {
                if has_cap(c, notes) {
                    return Some(format!("excluded with {c}"));
                }
            }
            if let Some(k) = filter.min_kernel {
                if ctx.kernel >= k {
                    return Some(format!("excluded from kernel {}.{}", k.0, k.1));
                }
            }
        } else {
            if !filter.arches.is_empty() && !filter.arches.iter().any(|a| a == arch) {
                return Some(format!("only on {}", filter.arches.join(",")));
            }
            for c in &filter.caps {
                if !has_cap(c, notes) {
                    return Some(format!("needs {c}"));
                }
            }
            if let Some(k) = filter.min_kernel {
                if ctx.kernel < k {
                    return Some(format!("needs kernel {}.{}", k.0, k.1));
                }
            }
        }
        None
    }

    /// The policy this profile describes in `ctx`, and notes on how it was
    /// read (see the module documentation for the semantics).
    ///
    /// The spec is an allow-list with no names whose deny action is the
    /// default action: every entry becomes [`Rule`]s, which override it.
    pub fn to_spec(&self, ctx: &Context) -> Result<(PolicySpec, Vec<Note>), SeccompProfileError> {
        let (arches, mut notes) = self.target_arches(ctx.arch)?;
        let default = self.default(&mut notes)?;
        let mut t = Translation {
            arches: &arches,
            default,
            notes,
            rules: Vec::new(),
            same_as_default: Vec::new(),
            unknown: Vec::new(),
            elsewhere: Vec::new(),
            unconditional: HashMap::new(),
        };
        for (i, e) in self.syscalls.iter().enumerate() {
            t.entry(i, e, ctx)?;
        }
        let (rules, notes) = t.finish();
        let spec = PolicySpec {
            mode: Mode::AllowList,
            names: Vec::new(),
            rules,
            deny_action: default,
            arches,
            enosys_fallback: true,
        };
        Ok((spec, notes))
    }

    /// The default action (`defaultAction` with `defaultErrnoRet`).
    fn default(&self, notes: &mut Vec<Note>) -> Result<Action, SeccompProfileError> {
        if self.default_action == ProfileAction::Notify {
            return Err(SeccompProfileError::Notify { entry: None });
        }
        if self.default_errno.is_some() && !self.default_action.takes_errno() {
            notes.push(Note::ErrnoIgnored { entry: None });
        }
        let default = self
            .default_action
            .to_action(self.default_errno)
            .ok_or(SeccompProfileError::Notify { entry: None })?;
        check_errno(default, None)?;
        Ok(default)
    }
}

/// [`Profile::to_spec`] under way: the rules so far and what the notes
/// gather across entries.
struct Translation<'a> {
    arches: &'a [Arch],
    default: Action,
    notes: Vec<Note>,
    /// Rules with their entry, in profile order.
    rules: Vec<(usize, Rule)>,
    /// Entries whose action is the default action.
    same_as_default: Vec<usize>,
    /// Names no table knows, and names none of the targets has.
    unknown: Vec<String>,
    elsewhere: Vec<String>,
    /// Name → the entry of its first unconditional rule.
    unconditional: HashMap<String, usize>,
}

impl Translation<'_> {
    /// Adds the rules of entry `i` (or a note on why there are none).
    fn entry(&mut self, i: usize, e: &Entry, ctx: &Context) -> Result<(), SeccompProfileError> {
        check_entry(i, e)?;
        let why = Profile::filtered_out(&e.excludes, true, ctx, &mut self.notes)
            .or_else(|| Profile::filtered_out(&e.includes, false, ctx, &mut self.notes));
        if let Some(why) = why {
            self.notes.push(Note::Excluded {
                entry: i,
                names: e.names.clone(),
                why,
            });
            return Ok(());
        }
        if e.errno.is_some() && !e.action.takes_errno() {
            self.notes.push(Note::ErrnoIgnored { entry: Some(i) });
        }
        let action = e
            .action
            .to_action(e.errno)
            .ok_or(SeccompProfileError::Notify { entry: Some(i) })?;
        check_errno(action, Some(i))?;
        if action == self.default {
            self.same_as_default.push(i);
            return Ok(());
        }
        let groups = self.condition_groups(i, e);
        for name in &e.names {
            if self.applies(i, e, name) {
                for g in &groups {
                    self.rules
                        .push((i, Rule::when(name.clone(), action, g.clone())));
                }
            }
        }
        Ok(())
    }

    /// The entry's conditions as the ORed groups of ANDed conditions the
    /// runtimes make of them: one group, or one per condition when an
    /// argument index repeats (with a note).
    fn condition_groups(&mut self, i: usize, e: &Entry) -> Vec<Vec<Condition>> {
        let conditions: Vec<Condition> = (e.args.iter().map(Arg::condition))
            .collect::<Result<_, _>>()
            .expect("check_entry refused indices above 5");
        let repeats = (0..6u32).any(|ix| e.args.iter().filter(|a| a.index == ix).count() > 1);
        if repeats {
            self.notes.push(Note::OrSplit {
                entry: i,
                names: e.names.clone(),
            });
            conditions.iter().map(|c| vec![*c]).collect()
        } else {
            vec![conditions]
        }
    }

    /// Whether entry `i`'s rules for `name` are kept: the name exists on a
    /// target and is not a second unconditional entry (each case noted).
    fn applies(&mut self, i: usize, e: &Entry, name: &str) -> bool {
        if !SyscallTable::known_anywhere(name) {
            if !self.unknown.iter().any(|u| u == name) {
                self.unknown.push(name.to_string());
            }
            return false;
        }
        if !self
            .arches
            .iter()
            .any(|&a| SyscallTable::lookup(a, name).is_some())
        {
            if !self.elsewhere.iter().any(|u| u == name) {
                self.elsewhere.push(name.to_string());
            }
            return false;
        }
        if e.args.is_empty() {
            if let Some(&first) = self.unconditional.get(name) {
                self.notes.push(Note::Duplicate {
                    entry: i,
                    name: name.to_string(),
                    first,
                });
                return false;
            }
            self.unconditional.insert(name.to_string(), i);
        }
        true
    }

    /// The rules after libseccomp's precedence, and every note.
    fn finish(mut self) -> (Vec<Rule>, Vec<Note>) {
        let rules = libseccomp_precedence(
            self.rules,
            &self.unconditional,
            self.arches,
            &mut self.notes,
        );
        if !self.same_as_default.is_empty() {
            self.notes.push(Note::SameAsDefault {
                entries: self.same_as_default,
            });
        }
        self.notes
            .extend(self.unknown.into_iter().map(Note::UnknownSyscall));
        self.notes
            .extend(self.elsewhere.into_iter().map(Note::NotOnTargets));
        (rules, self.notes)
    }
}

/// The errors an entry is refused for: no names, an argument index above
/// 5, `SCMP_ACT_NOTIFY`.
fn check_entry(i: usize, e: &Entry) -> Result<(), SeccompProfileError> {
    if e.names.is_empty() {
        return Err(SeccompProfileError::NoNames { entry: i });
    }
    // the 0..=5 rule is `ArgIndex::new`'s, through `Arg::condition`
    if let Some(a) = e.args.iter().find(|a| a.condition().is_err()) {
        return Err(SeccompProfileError::BadIndex {
            entry: i,
            index: a.index,
        });
    }
    if e.action == ProfileAction::Notify {
        return Err(SeccompProfileError::Notify { entry: Some(i) });
    }
    Ok(())
}

/// libseccomp's precedence among one syscall's rules (src/db.c
/// `db_rule_add`): a syscall with an unconditional rule (`unconditional`:
/// name → its entry) loses its conditional rules, added before or after
/// it. Where two conditional rules with different actions can both hold,
/// the one libseccomp's argument tree reaches first answers: go-jail
/// builds the same tree ([`super::halfword`]) and follows it where it
/// can ([`tree_applies`]), with a [`Note::WordOrder`]; elsewhere it tries
/// the rules in the whole-condition order of [`super::order`], with a
/// [`Note::Overlap`] naming the one that wins. `rules` carry their entry;
/// the result keeps each syscall's rules together, syscalls in the order
/// they first appear.
fn libseccomp_precedence(
    rules: Vec<(usize, Rule)>,
    unconditional: &HashMap<String, usize>,
    arches: &[Arch],
    notes: &mut Vec<Note>,
) -> Vec<Rule> {
    let mut groups: Vec<(String, Vec<(usize, Rule)>)> = Vec::new();
    for (entry, rule) in rules {
        if !rule.conditions.is_empty() {
            if let Some(&winner) = unconditional.get(&rule.name) {
                let name = rule.name.clone();
                push_note(
                    Note::ConditionalDropped {
                        entry,
                        name,
                        winner,
                    },
                    notes,
                );
                continue;
            }
        }
        match groups.iter_mut().find(|(n, _)| *n == rule.name) {
            Some((_, g)) => g.push((entry, rule)),
            None => groups.push((rule.name.clone(), vec![(entry, rule)])),
        }
    }
    let mut out = Vec::new();
    for (name, group) in groups {
        let (conditional, plain): (Vec<_>, Vec<_>) = group
            .into_iter()
            .partition(|(_, r)| !r.conditions.is_empty());
        out.extend(conditional_rules(&name, &conditional, arches, notes));
        out.extend(plain.into_iter().map(|(_, r)| r));
    }
    out
}

fn push_note(note: Note, notes: &mut Vec<Note>) {
    if !notes.contains(&note) {
        notes.push(note);
    }
}

/// One syscall's conditional rules (with their entries, in profile order)
/// in the order go-jail tries them, and the notes on rules that overlap.
fn conditional_rules(
    name: &str,
    conditional: &[(usize, Rule)],
    arches: &[Arch],
    notes: &mut Vec<Note>,
) -> Vec<Rule> {
    let bare: Vec<Rule> = conditional.iter().map(|(_, r)| r.clone()).collect();
    let order = super::order::libseccomp_order(&bare);
    let overlaps = overlapping_pairs(conditional, &order);
    if overlaps.is_empty() {
        return order.iter().map(|&i| bare[i].clone()).collect();
    }
    let lowered = lower_per_arch(name, &bare, &order, arches);
    note_overlaps(name, &overlaps, &lowered, arches, notes);
    let alike = lowered.len() == 1;
    lowered
        .into_iter()
        .flat_map(|(_, on, rules)| {
            let on = if alike { Vec::new() } else { on };
            rules.into_iter().map(move |r| Rule {
                arches: on.clone(),
                ..r
            })
        })
        .collect()
}

/// The pairs of entries `(winner, loser)` of one syscall's conditional
/// rules (indexed as `conditional`) where a rule libseccomp tries first
/// (`order`) and a later one of another entry have different actions and
/// may both hold.
fn overlapping_pairs(conditional: &[(usize, Rule)], order: &[usize]) -> Vec<(usize, usize)> {
    let mut overlaps = Vec::new();
    for (k, &w) in order.iter().enumerate() {
        for &l in &order[k + 1..] {
            let (winner, loser) = (&conditional[w], &conditional[l]);
            if winner.0 != loser.0
                && winner.1.action != loser.1.action
                && may_both_hold(&winner.1.conditions, &loser.1.conditions)
            {
                overlaps.push((winner.0, loser.0));
            }
        }
    }
    overlaps
}

/// One syscall's rules for the arches that share them: `Some(wide)` for
/// libseccomp's tree of that word size, `None` for the whole-condition
/// order; the arches; the rules.
type Lowered = (Option<bool>, Vec<Arch>, Vec<Rule>);

/// Each arch's rules for one syscall's conditional rules `bare` (tried in
/// `order`): libseccomp's tree for its word size where it applies
/// ([`tree_applies`]), else the whole-condition order; arches with the
/// same rules grouped, in the order of `arches`.
fn lower_per_arch(name: &str, bare: &[Rule], order: &[usize], arches: &[Arch]) -> Vec<Lowered> {
    let pairs: Vec<(Vec<Condition>, Action)> = bare
        .iter()
        .map(|r| (r.conditions.clone(), r.action))
        .collect();
    // the tree depends only on the word size: built once per size
    let mut trees: [Option<Option<Vec<Rule>>>; 2] = [None, None];
    let mut lowered: Vec<Lowered> = Vec::new();
    for &arch in arches {
        let wide = arch.is_64bit();
        let tree = match tree_applies(arch, name, bare) {
            true => trees[usize::from(wide)]
                .get_or_insert_with(|| {
                    let t = super::halfword::Tree::lower(&pairs, order, wide)?;
                    Some(t.into_iter().map(|(c, a)| Rule::when(name, a, c)).collect())
                })
                .clone(),
            false => None,
        };
        let form = tree.as_ref().map(|_| wide);
        match lowered.iter_mut().find(|(f, _, _)| *f == form) {
            Some((_, on, _)) => on.push(arch),
            None => {
                let rules =
                    tree.unwrap_or_else(|| order.iter().map(|&i| bare[i].clone()).collect());
                lowered.push((form, vec![arch], rules));
            }
        }
    }
    lowered
}

/// The notes on one syscall's `overlaps`: a [`Note::WordOrder`] for the
/// arches that follow libseccomp's tree, and a [`Note::Overlap`] per pair
/// when some arch keeps the whole-condition order.
fn note_overlaps(
    name: &str,
    overlaps: &[(usize, usize)],
    lowered: &[Lowered],
    arches: &[Arch],
    notes: &mut Vec<Note>,
) {
    let followed: Vec<Arch> = (lowered.iter())
        .filter(|(form, _, _)| form.is_some())
        .flat_map(|(_, on, _)| on.iter().copied())
        .collect();
    if !followed.is_empty() {
        let mut entries: Vec<usize> = overlaps.iter().flat_map(|&(a, b)| [a, b]).collect();
        entries.sort_unstable();
        entries.dedup();
        let note = Note::WordOrder {
            name: name.to_string(),
            entries,
            arches: followed.clone(),
        };
        push_note(note, notes);
    }
    if followed.len() < arches.len() {
        for &(winner, loser) in overlaps {
            let name = name.to_string();
            push_note(
                Note::Overlap {
                    name,
                    winner,
                    loser,
                },
                notes,
            );
        }
    }
}

/// Whether go-jail can follow libseccomp's argument tree for `rules` of
/// syscall `name` on `arch`: every condition means the same to both, that
/// is its argument's width is known, its value fits what the kernel reads
/// (the low word on a 32-bit arch, where libseccomp builds its tree of
/// low words, `_db_rule_gen_32`), and a masked value has no bit outside
/// its mask (libseccomp compares all the bits it is given; go-jail the
/// bits the kernel reads).
fn tree_applies(arch: Arch, name: &str, rules: &[Rule]) -> bool {
    rules.iter().flat_map(|r| &r.conditions).all(|c| {
        let width = crate::width::arg_width(arch, name, c.arg());
        let read = |v: u64| match arch.is_64bit() {
            true => width.cut(v),
            false => width.cut(v) & 0xffff_ffff,
        };
        let fits = |v: u64| read(v) == v;
        width != crate::condition::Width::Unknown
            && fits(c.value())
            && match c.op() {
                CmpOp::MaskedEq(m) => fits(m) && c.value() & !m == 0,
                _ => true,
            }
    })
}

/// False when the two ANDed condition lists cannot both hold: one of them
/// pins an argument with `==` to a value the other's condition on that
/// argument refuses (`a0 == 16` against `a0 != 16`). True otherwise (they
/// may overlap).
fn may_both_hold(a: &[Condition], b: &[Condition]) -> bool {
    let refutes = |x: &[Condition], y: &[Condition]| {
        x.iter().filter(|c| c.op() == CmpOp::Eq).any(|pin| {
            y.iter()
                .filter(|c| c.arg() == pin.arg())
                .any(|c| !c.holds(pin.value(), crate::condition::Width::W64))
        })
    };
    !refutes(a, b) && !refutes(b, a)
}
