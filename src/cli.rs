//! The command line (cli.md): clap parsing and exit codes, nothing more.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anstream::ColorChoice;
use autogen::app::config::{self, Overrides};
use autogen::app::{
    self as commands, Context, DiffOptions, Direction, Format, Io, Outcome, Range, RevisionOptions, Target,
};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "autogen",
    version,
    about = "Alembic-style autogenerate migrations for SQLite, from a declarative YAML model",
    propagate_version = true
)]
#[command(
    after_help = "Examples:\n  autogen init\n  autogen revision --autogenerate -m \"add soft delete to todos\"\n  \
        autogen upgrade head\n  autogen downgrade -1\n  autogen check"
)]
struct Cli {
    /// The config file (default: autogen.yaml here or in a parent folder)
    #[arg(short = 'c', long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The database: a path or sqlite:///path.db (overrides the config and DATABASE_URL)
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    /// The model file (overrides `schema:` in the config)
    #[arg(long, global = true, value_name = "PATH")]
    schema: Option<PathBuf>,
    /// The folder of revision files (overrides `versions:` in the config)
    #[arg(long, global = true, value_name = "PATH")]
    versions: Option<PathBuf>,
    /// When to colour output; NO_COLOR also turns it off
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    /// Print only errors
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print more detail (current, history)
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Write autogen.yaml, the versions folder and a starter model (the todo app)
    #[command(after_help = "Examples:\n  autogen init")]
    Init,
    /// Compare the model with the database and show the differences
    #[command(
        after_help = "Examples:\n  autogen diff\n  autogen diff --sql\n  autogen diff --format json --exit-code"
    )]
    Diff {
        /// Print the upgrade SQL that `revision --autogenerate` would write
        #[arg(long)]
        sql: bool,
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        /// Exit 1 when there are differences
        #[arg(long)]
        exit_code: bool,
    },
    /// Exit 0 when the database (at head) matches the model, 1 with the differences
    #[command(after_help = "Examples:\n  autogen check\n  autogen check --replay")]
    Check {
        /// Build a scratch in-memory database from base to head instead of reading the database
        #[arg(long)]
        replay: bool,
    },
    /// Print the database's schema as a model file
    #[command(after_help = "Examples:\n  autogen inspect > schemas/app.yaml")]
    Inspect,
    /// Write a new revision file on top of the head
    #[command(after_help = "Examples:\n  autogen revision --autogenerate -m \"add soft delete to todos\"\n  autogen \
            revision -m \"backfill titles\"")]
    Revision {
        /// The message: the first line of the file and its slug
        #[arg(short, long)]
        message: String,
        /// Fill the upgrade and downgrade from the diff of the model and the database
        #[arg(long)]
        autogenerate: bool,
        /// Use this revision id instead of a random one
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
        /// Write the file even when there are no changes
        #[arg(long)]
        allow_empty: bool,
        /// Rehearse on a copy of the whole database (rows too), not just its schema
        #[arg(long)]
        rehearse_data: bool,
    },
    /// Apply revisions up to TARGET (head, heads, +N, an id or a unique prefix)
    #[command(
        after_help = "Examples:\n  autogen upgrade\n  autogen upgrade +1\n  autogen upgrade 5c3f\n  autogen upgrade \
            head --sql"
    )]
    Upgrade {
        /// head (default), heads, +N, a revision id or prefix; FROM:TO with --sql
        #[arg(default_value = "head", allow_hyphen_values = true)]
        target: String,
        /// Print the SQL instead of running it (offline; FROM:TO needs no database)
        #[arg(long)]
        sql: bool,
    },
    /// Undo revisions down to TARGET (-N, base, an id or a unique prefix)
    #[command(
        after_help = "Examples:\n  autogen downgrade -1\n  autogen downgrade base\n  autogen downgrade head:base --sql"
    )]
    Downgrade {
        /// -N, base, a revision id or prefix; FROM:TO with --sql
        #[arg(allow_hyphen_values = true)]
        target: String,
        /// Print the SQL instead of running it (offline)
        #[arg(long)]
        sql: bool,
    },
    /// Show the revision(s) the database is at
    #[command(after_help = "Examples:\n  autogen current\n  autogen current -v")]
    Current,
    /// Show the revisions, newest first, marking head and current
    #[command(
        after_help = "Examples:\n  autogen history\n  autogen history -v\n  autogen history -r 1a2b:head\n  autogen \
            history -r :current"
    )]
    History {
        /// Only the revisions from START to END (either may be empty, base, head, current or an id)
        #[arg(short = 'r', long = "rev-range", value_name = "START:END", allow_hyphen_values = true)]
        range: Option<autogen::app::Span>,
    },
    /// Show the heads of the revision graph
    #[command(after_help = "Examples:\n  autogen heads")]
    Heads,
    /// Show one revision whole (an id, a prefix, head or current)
    #[command(after_help = "Examples:\n  autogen show 5c3f\n  autogen show current")]
    Show {
        /// A revision id or prefix, head or current
        rev: Target,
    },
    /// Set the version table without running anything (base empties it)
    #[command(after_help = "Examples:\n  autogen stamp head\n  autogen stamp base\n  autogen stamp 5c3f --purge")]
    Stamp {
        /// A revision id or prefix, head, heads or base
        #[arg(allow_hyphen_values = true)]
        rev: Target,
        /// Clear the version table first, even of ids no file has
        #[arg(long)]
        purge: bool,
    },
    /// Write a revision that joins several heads
    #[command(
        after_help = "Examples:\n  autogen merge -m \"merge branches\" heads\n  autogen merge -m \"merge\" 1a2b 3c4d"
    )]
    Merge {
        #[arg(short, long)]
        message: String,
        #[arg(required = true, num_args = 1..)]
        revs: Vec<String>,
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
    },
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let choice = match cli.color {
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
        ColorWhen::Auto => ColorChoice::Auto,
    };
    let mut out = anstream::AutoStream::new(std::io::stdout(), choice);
    let mut err = anstream::AutoStream::new(std::io::stderr(), choice);
    let mut sink = std::io::sink();
    let result = dispatch(&cli, &mut out, if cli.quiet { &mut sink } else { &mut err });
    let _ = out.flush();
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Differences) => ExitCode::from(1),
        // A reader that stops early (`autogen inspect | head`) is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            ExitCode::from(1)
        }
    }
}

/// A target that does not parse is the user's mistake, told as one.
fn usage<T>(parsed: Result<T, String>) -> anyhow::Result<T> {
    parsed.map_err(|e| anyhow::Error::new(autogen::Error::Usage(e)))
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let io = match e.downcast_ref::<autogen::Error>() {
        Some(autogen::Error::Io { source, .. }) => Some(source.kind()),
        _ => None,
    };
    io == Some(std::io::ErrorKind::BrokenPipe)
}

fn dispatch(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let cwd = std::env::current_dir()?;
    if let Command::Init = cli.command {
        return Ok(commands::init(&cwd, &mut Io { out, err, progress: None })?);
    }
    let overrides = Overrides {
        config: cli.config.clone(),
        database: cli.database.clone(),
        schema: cli.schema.clone(),
        versions: cli.versions.clone(),
        env_database: None,
    }
    .with_env();
    let config = config::load(&overrides, &cwd)?;
    let ctx = Context { config, cwd };
    let mut io = Io { out, err, progress: crate::meter::stderr_sink(cli.quiet) };
    let outcome = match &cli.command {
        Command::Diff { sql, format, exit_code } => {
            let format = match format {
                FormatArg::Text => Format::Text,
                FormatArg::Json => Format::Json,
            };
            commands::diff(&ctx, &DiffOptions { sql: *sql, format, exit_code: *exit_code }, &mut io)?
        }
        Command::Check { replay: false } => commands::check(&ctx, &mut io)?,
        Command::Check { replay: true } => commands::check_replay(&ctx, &mut io)?,
        Command::Inspect => commands::inspect(&ctx, &mut io)?,
        Command::Current => commands::current(&ctx, cli.verbose, &mut io)?,
        Command::History { range } => commands::history(&ctx, cli.verbose, range.as_ref(), &mut io)?,
        Command::Revision { message, autogenerate, rev_id, allow_empty, rehearse_data } => {
            let opts = RevisionOptions {
                message: message.clone(),
                autogenerate: *autogenerate,
                rev_id: rev_id.clone(),
                allow_empty: *allow_empty,
                rehearse_data: *rehearse_data,
            };
            commands::revision(&ctx, &opts, &mut io)?
        }
        Command::Upgrade { target, sql: false } => {
            commands::migrate(&ctx, &usage(target.parse::<Target>())?, Direction::Up, &mut io)?
        }
        Command::Downgrade { target, sql: false } => {
            commands::migrate(&ctx, &usage(target.parse::<Target>())?, Direction::Down, &mut io)?
        }
        Command::Upgrade { target, sql: true } => {
            commands::offline(&ctx, &usage(target.parse::<Range>())?, Direction::Up, &mut io)?
        }
        Command::Downgrade { target, sql: true } => {
            commands::offline(&ctx, &usage(target.parse::<Range>())?, Direction::Down, &mut io)?
        }
        Command::Init => commands::init(&ctx.cwd, &mut io)?,
        Command::Heads => commands::heads(&ctx, &mut io)?,
        Command::Show { rev } => commands::show(&ctx, rev, &mut io)?,
        Command::Stamp { rev, purge } => commands::stamp(&ctx, rev, *purge, &mut io)?,
        Command::Merge { message, revs, rev_id } => commands::merge(&ctx, message, revs, rev_id.as_deref(), &mut io)?,
    };
    Ok(outcome)
}
