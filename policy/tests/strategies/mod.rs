//! proptest strategies shared by the policy crate's property tests.

use policy::CmpOp;
use proptest::prelude::*;

/// The six comparisons without a mask (`==`, `!=`, `<`, `<=`, `>`, `>=`);
/// each test adds the masked `==` it needs.
pub fn plain_op() -> impl Strategy<Value = CmpOp> + Clone {
    prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ])
}
