//! `_db_tree_add` of libseccomp 2.5.4 src/db.c: the new rule's nodes
//! merged into the (pruned) existing tree.

use super::{Slot, Stop, Tree};

impl Tree {
    /// `_db_tree_add`: merges the new rule's nodes into the level at
    /// `existing`. The level is walked in rank order: the same node takes
    /// the new node's actions and levels ([`Tree::merge_action`],
    /// [`Tree::merge_levels`]); else the new node goes in before the first
    /// node that ranks below it, or at the end.
    pub(super) fn merge(&mut self, existing: Slot, ni: usize) -> Result<(), Stop> {
        let mut x = self.slot(existing).expect("a level to merge into");
        loop {
            self.step()?;
            if self.same(x, ni) {
                for t in [true, false] {
                    self.merge_action(x, ni, t)?;
                }
                return self.merge_levels(x, ni);
            } else if !self.below(x, ni) {
                match self.nodes[x].nxt {
                    None => {
                        // add to the end of this level
                        self.nodes[ni].prv = self.get(Some(x));
                        self.nodes[x].nxt = self.get(Some(ni));
                        return Ok(());
                    }
                    Some(n) => x = n,
                }
            } else {
                self.insert_before(existing, x, ni);
                return Ok(());
            }
        }
    }

    /// `_db_tree_add` on the same nodes, the action of the new node `ni`'s
    /// true (`t`) or false branch: an existing node `x` with no action
    /// there takes it, when every action below it is the same (its level
    /// there is dropped); a different existing action is refused
    /// (`-EEXIST`) where either node is a leaf, and on a high word moves
    /// the true action as db.c does.
    fn merge_action(&mut self, x: usize, ni: usize, t: bool) -> Result<(), Stop> {
        let (n_flg, n_act) = self.act(ni, t);
        if !n_flg {
            return Ok(());
        }
        let (x_flg, x_act) = self.act(x, t);
        let x_below = self.branch(x, t);
        if !x_flg {
            if !self.acts_all(x_below, n_act) {
                return Err(Stop::Refused);
            }
            let mut b = x_below;
            self.node_put(&mut b);
            self.set(Slot::of(x, t), None);
            self.set_act(x, t, n_act);
        } else if n_act != x_act {
            // libseccomp moves the true action in both cases
            let nn = &self.nodes[ni];
            let moves = if t {
                nn.hi && nn.full > self.nodes[x].full
            } else {
                nn.hi && nn.full < self.nodes[x].full
            };
            if moves {
                self.nodes[x].t = self.nodes[ni].t;
            }
            if self.leaf(x) || self.leaf(ni) {
                return Err(Stop::Refused);
            }
        }
        Ok(())
    }

    /// `_db_tree_add` on the same nodes, the levels below: the new node
    /// `ni`'s level on a branch is merged into the existing node `x`'s
    /// level there, or hung there when `x` has neither level nor action;
    /// an action of `x` there ends the merge (the existing tree is
    /// "shorter").
    fn merge_levels(&mut self, x: usize, ni: usize) -> Result<(), Stop> {
        for t in [true, false] {
            let Some(nb) = self.branch(ni, t) else {
                continue;
            };
            let (x_flg, _) = self.act(x, t);
            if self.branch(x, t).is_some() {
                self.merge(Slot::of(x, t), nb)?;
            } else if !x_flg {
                let v = self.get(Some(nb));
                self.set(Slot::of(x, t), v);
            } else {
                // the existing tree is "shorter"
                return Ok(());
            }
        }
        Ok(())
    }

    /// `_db_tree_add`: links the new node `ni` into the level before the
    /// existing node `x`, and makes it the level's entry when `x` was.
    fn insert_before(&mut self, existing: Slot, x: usize, ni: usize) {
        if let Some(p) = self.nodes[x].prv {
            self.nodes[p].nxt = self.get(Some(ni));
            self.nodes[ni].prv = Some(p);
            self.nodes[x].prv = self.get(Some(ni));
            self.nodes[ni].nxt = Some(x);
        } else {
            self.nodes[x].prv = self.get(Some(ni));
            self.nodes[ni].nxt = self.get(Some(x));
        }
        if self.slot(existing) == Some(x) {
            let v = self.get(Some(ni));
            self.set(existing, v);
            self.node_put(&mut Some(x));
        }
    }
}
