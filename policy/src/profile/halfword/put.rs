//! Reference counting and removal of nodes, as libseccomp 2.5.4 src/db.c
//! does it: `_db_node_put`, `_db_tree_put`, `_db_level_clean` and
//! `_db_tree_remove`.

use super::{Slot, Stop, Tree};

impl Tree {
    /// `_db_node_put`: drops a reference; the last one unlinks the node
    /// from its level and drops its branches. Returns the nodes freed.
    pub(super) fn node_put(&mut self, node: &mut Option<usize>) -> u32 {
        let Some(n) = *node else {
            return 0;
        };
        self.budget = self.budget.saturating_sub(1);
        if self.nodes[n].refs == 0 || self.stuck || self.budget == 0 {
            self.stuck = true;
            return 0;
        }
        self.nodes[n].refs -= 1;
        if self.nodes[n].refs != 0 {
            return 0;
        }
        let mut cnt = 0;
        let (mut lp, mut ln) = (self.nodes[n].prv, self.nodes[n].nxt);
        let (mut t, mut f) = (self.nodes[n].nxt_t, self.nodes[n].nxt_f);
        if let Some(p) = lp {
            self.nodes[p].nxt = None;
        }
        if let Some(q) = ln {
            self.nodes[q].prv = None;
        }
        cnt += self.node_put(&mut lp);
        cnt += self.node_put(&mut ln);
        if let Some(p) = lp {
            self.nodes[p].nxt = self.get(ln);
        }
        if let Some(q) = ln {
            self.nodes[q].prv = self.get(lp);
        }
        *node = lp.or(ln);
        cnt += self.tree_put(&mut t);
        cnt += self.tree_put(&mut f);
        cnt + 1
    }

    /// `_db_tree_put`.
    pub(super) fn tree_put(&mut self, tree: &mut Option<usize>) -> u32 {
        let mut cnt = self.node_put(tree);
        if let Some(n) = *tree {
            cnt += self.level_clean(n);
        }
        cnt
    }

    /// `_db_level_clean`: drops a level nothing outside it points into.
    fn level_clean(&mut self, n: usize) -> u32 {
        let start = self.first(n);
        let mut at = Some(start);
        let mut seen = 0;
        while let Some(x) = at {
            // a level that links back into itself: where libseccomp loops
            seen += 1;
            if seen > self.nodes.len() {
                self.stuck = true;
                return 0;
            }
            let links =
                u32::from(self.nodes[x].prv.is_some()) + u32::from(self.nodes[x].nxt.is_some());
            if self.nodes[x].refs > links {
                return 0;
            }
            at = self.nodes[x].nxt;
        }
        let mut cnt = 0;
        let mut at = Some(start);
        while at.is_some() && !self.stuck {
            cnt += self.node_put(&mut at);
        }
        cnt
    }

    /// `_db_tree_remove`: removes `node` (and zombies met on the way).
    pub(super) fn remove(&mut self, tree: Slot, node: usize) -> Result<u32, Stop> {
        let Some(start) = self.slot(tree) else {
            return Ok(0);
        };
        let mut cnt = 0;
        let mut c = self.first(start);
        loop {
            self.step()?;
            if c == node {
                break;
            }
            cnt += self.remove(Slot::T(c), node)?;
            cnt += self.remove(Slot::F(c), node)?;
            if self.zombie(c) {
                break;
            }
            match self.nodes[c].nxt {
                Some(n) if cnt == 0 => c = n,
                _ => return Ok(cnt),
            }
        }
        if Some(c) == self.slot(tree) {
            let v = self.nodes[c].prv.or(self.nodes[c].nxt);
            self.set(tree, v);
        }
        let (p, n) = (self.nodes[c].prv, self.nodes[c].nxt);
        if let Some(p) = p {
            self.nodes[p].nxt = n;
        }
        if let Some(n) = n {
            self.nodes[n].prv = p;
        }
        self.nodes[c].prv = None;
        self.nodes[c].nxt = None;
        Ok(cnt + self.node_put(&mut Some(c)))
    }
}
