//! `_db_tree_prune` of libseccomp 2.5.4 src/db.c: before a new rule is
//! merged, the existing tree loses the branches the new rule makes
//! redundant, and the walk tells whether the new rule is itself redundant.

use super::{Slot, Stop, Tree, MATCH, MATCHSET, MATCH_ONCE, N_FINISHED, N_PREFIX};
use super::{X_FINISHED, X_PREFIX};

/// Where `_db_tree_prune` goes after one node of the existing level.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Next {
    /// `prune_next_node`: on with the level's next node.
    Node,
    /// `goto prune_return`: this level is done.
    Return,
}

/// One `_db_tree_prune` call's working state.
struct Level {
    /// `*state`: the caller's flags, as the call found them.
    state: u32,
    /// `state_new.flags`: what the walk of this level found.
    flags: u32,
    /// `cnt`: the nodes removed so far.
    cnt: u32,
    /// `state->action`: the new rule's action.
    action: u32,
}

impl Level {
    /// `prune_return`: the caller's state takes this level's flags when
    /// they hold a match, else loses its match; the nodes removed.
    fn finish(self, state: &mut u32) -> u32 {
        if self.flags & MATCH != 0 {
            *state |= self.flags;
        } else {
            *state &= !MATCH;
        }
        self.cnt
    }
}

impl Tree {
    /// `_db_tree_prune`: removes the existing branches the new rule makes
    /// redundant; `state` tells whether the new rule is itself redundant.
    /// Each node of the existing level is compared with the new rule's
    /// node: the same ([`Tree::prune_match`]), ranked below it
    /// ([`Tree::prune_down_existing`]) or above it
    /// ([`Tree::prune_down_new`]).
    pub(super) fn prune(
        &mut self,
        existing: Option<usize>,
        new: Option<usize>,
        state: &mut u32,
        action: u32,
    ) -> Result<u32, Stop> {
        let mut level = Level {
            state: *state,
            flags: *state,
            cnt: 0,
            action,
        };
        let (Some(x0), Some(ni)) = (existing, new) else {
            return Ok(level.finish(state));
        };
        if *state & MATCHSET == MATCH_ONCE {
            return Ok(level.finish(state));
        }
        let mut x = Some(self.first(x0));
        while let Some(xi) = x {
            self.step()?;
            let x_next = self.nodes[xi].nxt;
            let next = if self.same(xi, ni) {
                self.prune_match(xi, ni, &mut level)?
            } else if self.below(xi, ni) {
                self.prune_down_existing(xi, ni, &mut level)?
            } else {
                self.prune_down_new(xi, ni, &mut level)?
            };
            if next == Next::Return {
                return Ok(level.finish(state));
            }
            x = x_next;
        }
        level.flags &= !MATCH;
        Ok(level.finish(state))
    }

    /// `_db_tree_prune` where the existing node `cur` and the new node
    /// `ni` are the same (`_db_chain_eq`): both trees go on below them, and
    /// where the new rule is "shorter" (it ends here, the existing tree
    /// goes on to the same action) the existing node is removed.
    fn prune_match(&mut self, cur: usize, ni: usize, l: &mut Level) -> Result<Next, Stop> {
        l.flags |= MATCHSET;
        if self.leaf(ni) {
            l.flags |= N_FINISHED;
        }
        if self.leaf(cur) {
            l.flags |= X_FINISHED;
        }
        if self.keeps_existing(cur, ni, l.flags) {
            return Ok(Next::Return);
        }
        let mut xi = Some(cur);
        for t in [true, false] {
            let Some(nb) = self.branch(ni, t) else {
                continue;
            };
            let xb = self.branch(xi.unwrap(), t);
            let next = self.descend(&mut xi, xb, Some(nb), l.state | MATCHSET, l)?;
            if next & MATCH != 0 {
                l.flags |= next;
            }
            if xi.is_none() {
                return Ok(Next::Node);
            }
        }
        let c = xi.unwrap();
        let same_acts = self.acts_all(Some(c), l.action);
        let matched = same_acts && l.flags & MATCH != 0;
        if matched && l.flags & N_FINISHED != 0 && l.flags & X_PREFIX != 0 {
            // the new rule is "shorter"
            l.cnt += self.remove(Slot::Head, c)?;
            if self.head.is_none() {
                return Ok(Next::Return);
            }
        } else if matched && l.flags & X_FINISHED != 0 && l.flags & N_PREFIX != 0 {
            return Ok(Next::Return);
        }
        Ok(Next::Node)
    }

    /// The checks of `_db_tree_prune` on the same nodes that keep the
    /// existing node `x` as it is: it has an action or a level on a branch
    /// where the new node `n` has neither ("more actions/levels"), or both
    /// trees are finished (`flags`) with different actions.
    fn keeps_existing(&self, x: usize, n: usize, flags: u32) -> bool {
        let (xn, nn) = (&self.nodes[x], &self.nodes[n]);
        if (xn.t_flg || xn.nxt_t.is_some()) && !(nn.t_flg || nn.nxt_t.is_some()) {
            return true;
        }
        if (xn.f_flg || xn.nxt_f.is_some()) && !(nn.f_flg || nn.nxt_f.is_some()) {
            return true;
        }
        flags & N_FINISHED != 0
            && flags & X_FINISHED != 0
            && (nn.t_flg != xn.t_flg || nn.t != xn.t || nn.f_flg != xn.f_flg || nn.f != xn.f)
    }

    /// `_db_tree_prune` where the existing node `cur` ranks below the new
    /// node `ni` (`_db_chain_lt`): the new node is looked for in the
    /// existing node's branches (unless the new tree is already a prefix).
    fn prune_down_existing(&mut self, cur: usize, ni: usize, l: &mut Level) -> Result<Next, Stop> {
        if l.state & N_PREFIX != 0 {
            return Ok(Next::Return);
        }
        let mut xi = Some(cur);
        for t in [true, false] {
            let xb = self.branch(xi.unwrap(), t);
            if xb.is_none() {
                continue;
            }
            let next = self.descend(&mut xi, xb, Some(ni), (l.state & !MATCH) | X_PREFIX, l)?;
            if let Some(done) = self.after_descent(xi, next, l) {
                return Ok(done);
            }
        }
        Ok(Next::Node)
    }

    /// `_db_tree_prune` where the existing node `cur` ranks above the new
    /// node `ni`: the existing level is compared with the new node's
    /// branches (unless the existing tree is already a prefix).
    fn prune_down_new(&mut self, cur: usize, ni: usize, l: &mut Level) -> Result<Next, Stop> {
        if l.state & X_PREFIX != 0 {
            return Ok(Next::Return);
        }
        let mut xi = Some(cur);
        for t in [true, false] {
            let nb = self.branch(ni, t);
            if nb.is_none() {
                continue;
            }
            let existing = xi;
            let next = self.descend(&mut xi, existing, nb, (l.state & !MATCH) | N_PREFIX, l)?;
            if let Some(done) = self.after_descent(xi, next, l) {
                return Ok(done);
            }
        }
        Ok(Next::Node)
    }

    /// One descent of `_db_tree_prune` from the existing node `*xi`: a
    /// reference to it is held across the prune of `existing` against
    /// `new` with the flags `next` (`_db_node_get(x_iter)` …
    /// `_db_node_put(&x_iter)`, which may leave `*xi` another node of its
    /// level or none); the flags the descent leaves.
    fn descend(
        &mut self,
        xi: &mut Option<usize>,
        existing: Option<usize>,
        new: Option<usize>,
        mut next: u32,
        l: &mut Level,
    ) -> Result<u32, Stop> {
        self.get(*xi);
        l.cnt += self.prune(existing, new, &mut next, l.action)?;
        l.cnt += self.node_put(xi);
        Ok(next)
    }

    /// After a descent where the nodes differ: a match below ends this
    /// level with its flags, a removed existing node goes on with the next
    /// node; `None` tries the other branch.
    fn after_descent(&self, xi: Option<usize>, next: u32, l: &mut Level) -> Option<Next> {
        if next & MATCH != 0 {
            l.flags |= next;
            return Some(Next::Return);
        }
        xi.is_none().then_some(Next::Node)
    }
}
