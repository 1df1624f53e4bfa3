//! `chainward history`: the dependency timeline of a repository from its git history.

use crate::cli::{Cli, HistoryArgs};
use crate::{Env, Error, ExitStatus, Output};

pub(crate) fn run(_cli: &Cli, _args: &HistoryArgs, _env: &Env, _out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    Err(Error::Usage("history: under construction".to_owned()))
}
