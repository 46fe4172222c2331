//! AG501, AG502: the revisions as a whole.

/// AG501: the heads, and how to join them.
pub fn several_heads(heads: &[String]) -> String {
    format!(
        "several heads ({}): `upgrade head` refuses to choose; join them with `autogen merge -m MESSAGE {}`",
        super::names(heads),
        heads.join(" ")
    )
}

/// AG502: a revision whose file changed after it was applied.
pub fn edited(revision: &str, file: &str) -> String {
    format!(
        "revision `{revision}` was applied from another version of `{file}`: the database did not run what the file \
         says now; put the edit in a new revision"
    )
}
