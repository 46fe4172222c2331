//! The command line (cli.md): clap parsing and exit codes, nothing more.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

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
    #[arg(short = 'c', long, global = true, help_heading = "Global options", value_name = "PATH")]
    config: Option<PathBuf>,
    /// The database: a path or sqlite:///path.db (overrides the config and DATABASE_URL)
    #[arg(long, global = true, help_heading = "Global options", value_name = "URL")]
    database: Option<String>,
    /// The model: a file, or a program such as sqlalchemy:app.models:Base (overrides `schema:` in the config)
    #[arg(long, global = true, help_heading = "Global options", value_name = "PATH")]
    schema: Option<String>,
    /// The folder of revision files (overrides `versions:` in the config)
    #[arg(long, global = true, help_heading = "Global options", value_name = "PATH")]
    versions: Option<PathBuf>,
    /// When to colour output; NO_COLOR also turns it off
    #[arg(long, global = true, help_heading = "Global options", value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    /// Print only errors
    #[arg(short, long, global = true, help_heading = "Global options")]
    quiet: bool,
    /// Print more detail (current, history)
    #[arg(short, long, global = true, help_heading = "Global options")]
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
    /// The changes, readable, with a diff of each table's DDL
    Text,
    /// A list of Alembic-style ops (`add_column`, `modify_type`, ...)
    Json,
    /// The model as an ER diagram, the changes marked
    Mermaid,
    /// One report for a pull request: the changes, the upgrade SQL, lint, a diagram
    Markdown,
}

/// Many databases at once (cli.md, "Many databases: fleets").
#[derive(clap::Args, Clone, Default)]
struct FleetArgs {
    #[arg(
        long,
        value_name = "PATTERN",
        num_args = 0..=1,
        default_missing_value = "",
        help_heading = "Fleet options",
        help = "Run over many databases: a glob of SQLite files (`tenants/*.db`) or @FILE (a path a line); \
                alone, `fleet:` in autogen.yaml"
    )]
    fleet: Option<String>,
    /// With --fleet: databases at once (default: the number of cores)
    #[arg(long, value_name = "N", requires = "fleet", help_heading = "Fleet options",
          value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// With --fleet: a failure does not stop the other databases from starting
    #[arg(long, requires = "fleet", help_heading = "Fleet options")]
    keep_going: bool,
    /// With --fleet: migrate N databases first, and stop if any fails
    #[arg(long, value_name = "N", default_value_t = 0, requires = "fleet", help_heading = "Fleet options")]
    canary: usize,
    /// With --fleet: `json` prints one object a line per database (path, from, to, result, error, time); `check`
    /// on one database: `markdown` prints one report for a pull request
    #[arg(long, value_enum, help_heading = "Fleet options")]
    format: Option<FleetFormatArg>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FleetFormatArg {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum LintFormatArg {
    /// `file:line: warning[AG102]: message (revision id)`
    Text,
    /// A list of {code, severity, revision, file, line, message, numbers}
    Json,
    /// GitHub Actions annotations (`::warning file=...,line=...::...`)
    Github,
    /// One report for a pull request: the revisions' SQL and the findings as a table
    Markdown,
}

/// `lint --help`: the rules in the library's words, then the policy.
fn lint_help() -> String {
    use autogen::Code;
    // AG000 is not a rule of the spec's table: it comes last.
    let rules: String =
        Code::ALL[1..].iter().chain([&Code::AG000]).map(|code| format!("  {code}  {}\n", code.summary())).collect();
    format!(
        "Rules:\n{rules}\nPolicy in autogen.yaml: `lint: {{error: [AG101], ignore: [AG301]}}`; a comment\n\
         `-- autogen:lint-ignore AG102` silences the next statement. Exit 1 on an error.\n\n\
         Examples:\n  autogen lint\n  autogen lint base:head --format github\n  autogen lint --format json"
    )
}

#[derive(Clone, Copy, ValueEnum)]
enum InspectFormat {
    /// A model file
    Yaml,
    /// CREATE statements
    Sql,
    /// An ER diagram (tables, columns, keys, foreign keys)
    Mermaid,
}

#[derive(Subcommand)]
enum Command {
    /// Write autogen.yaml, the versions folder and a starter model (the todo app)
    #[command(after_help = "Examples:\n  autogen init")]
    Init {
        /// The project folder (default: the current one); --database, --schema and --versions set what
        /// autogen.yaml says
        dir: Option<PathBuf>,
    },
    /// Compare the model with the database and show the differences
    #[command(
        after_help = "Examples:\n  autogen diff\n  autogen diff --sql\n  autogen diff --format json --exit-code"
    )]
    Diff {
        /// Print the upgrade SQL that `revision --autogenerate` would write
        #[arg(long)]
        sql: bool,
        /// How to show the differences
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        /// Exit 1 when there are differences
        #[arg(long)]
        exit_code: bool,
    },
    /// Exit 0 when the database (at head) matches the model, 1 with the differences
    #[command(
        after_help = "Examples:\n  autogen check\n  autogen check --replay\n  autogen check --replay --stairway\n  \
                      autogen check --fleet 'tenants/*.db'"
    )]
    Check {
        /// Build a scratch in-memory database from base to head instead of reading the database
        #[arg(long)]
        replay: bool,
        /// With --replay: run each revision up, down and up again, and fail on several heads
        #[arg(long, requires = "replay")]
        stairway: bool,
        #[command(flatten)]
        fleet: FleetArgs,
    },
    /// Review revision files for risky statements, by rule code (AG101 ...)
    #[command(after_help = lint_help())]
    Lint {
        /// [FROM:]TO (default: the revisions the database has not applied, or all of them without a database)
        #[arg(allow_hyphen_values = true)]
        range: Option<String>,
        /// How to print the findings
        #[arg(long, value_enum, default_value_t = LintFormatArg::Text)]
        format: LintFormatArg,
    },
    /// Print the database's schema as a model file
    #[command(
        after_help = "Examples:\n  autogen inspect > schemas/app.yaml\n  autogen inspect --format sql\n  autogen \
            inspect \
                      --format mermaid"
    )]
    Inspect {
        /// What to print the schema as
        #[arg(long, value_enum, default_value_t = InspectFormat::Yaml)]
        format: InspectFormat,
    },
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
        /// Write the autogenerated revision without rehearsing it (its header says so)
        #[arg(long, conflicts_with = "rehearse_data")]
        no_rehearse: bool,
        /// Let a model without tables drop every table of the database
        #[arg(long)]
        allow_drop_all: bool,
        /// A one-off value for the rows there of a new NOT NULL column (no default)
        #[arg(long, value_name = "T.COL=SQL")]
        fill: Vec<String>,
        /// Accept that this column's stored values convert (the header says so)
        #[arg(long, value_name = "T.COL")]
        accept_conversion: Vec<String>,
        /// Compare the model with the schema the revisions build in memory, reading no database
        #[arg(long, requires = "autogenerate", conflicts_with = "rehearse_data")]
        replay: bool,
    },
    /// Apply revisions up to TARGET (head, heads, +N, an id or a unique prefix)
    #[command(
        after_help = "Examples:\n  autogen upgrade\n  autogen upgrade +1\n  autogen upgrade 5c3f\n  autogen upgrade \
            head --sql\n  autogen upgrade --fleet 'tenants/*.db' --jobs 8 --keep-going\n  autogen upgrade --online\n  \
            autogen upgrade --online --abort"
    )]
    Upgrade {
        /// head (default), heads, +N, a revision id or prefix; FROM:TO with --sql
        #[arg(default_value = "head", allow_hyphen_values = true)]
        target: String,
        /// Print the SQL instead of running it (offline; FROM:TO needs no database)
        #[arg(long)]
        sql: bool,
        /// Rebuild big tables while the app keeps writing: copied in short chunks before each revision's
        /// transaction, swapped in by it (`online:` in autogen.yaml; again after a stop carries on). With --sql, the
        /// offline script
        #[arg(long)]
        online: bool,
        /// With --online: remove every online rebuild under way instead, leaving the tables as the app left them
        #[arg(long, requires = "online", conflicts_with = "sql")]
        abort: bool,
        #[command(flatten)]
        fleet: FleetArgs,
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
        #[command(flatten)]
        fleet: FleetArgs,
    },
    /// Show the revision(s) the database is at
    #[command(
        after_help = "Examples:\n  autogen current\n  autogen current -v\n  autogen current --fleet 'tenants/*.db'"
    )]
    Current {
        #[command(flatten)]
        fleet: FleetArgs,
    },
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
        /// The message: the first line of the file and its slug
        #[arg(short, long)]
        message: String,
        /// The revisions to join (ids or prefixes), or `heads`
        #[arg(required = true, num_args = 1..)]
        revs: Vec<String>,
        /// Use this revision id instead of a random one
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
    },
    /// Open a revision file in $EDITOR (as `alembic edit`)
    #[command(after_help = "Examples:\n  autogen edit head\n  autogen edit 5c3f")]
    Edit {
        /// A revision id or prefix, or head
        #[arg(default_value = "head")]
        rev: Target,
    },
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  autogen completions bash > ~/.local/share/bash-completion/completions/autogen\n  \
                      autogen completions zsh > ~/.zfunc/_autogen\n  autogen completions fish > \
                      ~/.config/fish/completions/autogen.fish"
    )]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

/// Runs the command line; the process's exit status.
pub fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let choice = match cli.color {
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
        ColorWhen::Auto => ColorChoice::Auto,
    };
    let mut out = styled(std::io::stdout(), choice);
    let mut err = styled(std::io::stderr(), choice);
    let mut sink = std::io::sink();
    let mut out_sink = std::io::sink();
    // `-q` prints only errors: the commands whose standard output only
    // tells what they wrote (`Generating ... done`) print nothing at all.
    let reports_only = matches!(cli.command, Command::Init { .. } | Command::Revision { .. } | Command::Merge { .. });
    let out: &mut dyn Write = if cli.quiet && reports_only { &mut out_sink } else { &mut out };
    let result = dispatch(&cli, out, if cli.quiet { &mut sink } else { &mut err });
    let _ = out.flush();
    match result {
        Ok(Outcome::Done) => 0,
        Ok(Outcome::Differences) => 1,
        // A reader that stops early (`autogen inspect | head`) is not an error.
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            // A command line that asks for something impossible is a usage
            // error, exit 2, as clap's own (cli.md, "Exit codes").
            let usage = e.downcast_ref::<autogen::Error>().is_some_and(autogen::Error::is_usage);
            if usage {
                2
            } else {
                1
            }
        }
    }
}

/// A stream that keeps the library's styles when colour is on, and drops
/// them when it is off (`--color never`, NO_COLOR, not a terminal).
/// One line typed at the terminal after `question` (on standard error);
/// `None` for an empty line or the end of input.
fn ask(question: &str) -> Option<String> {
    eprint!("{question}");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).ok()?;
    Some(line.trim().to_string()).filter(|l| !l.is_empty())
}

fn styled<S: anstream::stream::RawStream + anstream::stream::AsLockedWrite + 'static>(
    raw: S,
    choice: ColorChoice,
) -> Box<dyn Write> {
    let choice = match choice {
        ColorChoice::Auto => anstream::AutoStream::choice(&raw),
        chosen => chosen,
    };
    match choice {
        ColorChoice::Never => Box::new(Unstyled { raw, escape: Escape::None }),
        chosen => Box::new(anstream::AutoStream::new(raw, chosen)),
    }
}

/// Output with its styles taken out, each write passed on in one piece.
/// anstream's own stripping stream writes every piece between two styles
/// on its own, and standard output, a `LineWriter`, makes a system call of
/// each that ends a line: a 20,000-line `diff` made 20,000 of them. The
/// styles autogen writes (anstyle's) are CSI sequences, `ESC [`, then
/// parameters, then one final byte in `@`..`~` (ECMA-48, 5.4); anything
/// else after an ESC is a two-byte escape.
struct Unstyled<S> {
    raw: S,
    /// Carried from one write to the next: a style may be cut across two.
    escape: Escape,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Escape {
    None,
    /// Just after an ESC.
    Started,
    /// Inside `ESC [ ...`, before its final byte.
    Csi,
}

impl<S: Write> Write for Unstyled<S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut plain = Vec::with_capacity(buf.len());
        let mut rest = buf;
        while let Some(&next) = rest.first() {
            let skip = match self.escape {
                Escape::None => match rest.iter().position(|&b| b == 0x1b) {
                    Some(at) => {
                        self.escape = Escape::Started;
                        plain.extend_from_slice(&rest[..at]);
                        at + 1
                    }
                    None => {
                        plain.extend_from_slice(rest);
                        rest.len()
                    }
                },
                Escape::Started => {
                    self.escape = if next == b'[' { Escape::Csi } else { Escape::None };
                    1
                }
                Escape::Csi => match rest.iter().position(|b| (0x40..=0x7e).contains(b)) {
                    Some(at) => {
                        self.escape = Escape::None;
                        at + 1
                    }
                    None => rest.len(),
                },
            };
            rest = &rest[skip..];
        }
        self.raw.write_all(&plain)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.raw.flush()
    }
}

/// The fleet a command runs over: `--fleet`, or the config's `fleet:` when
/// it names no single `database:`.
fn fleet_options(
    args: &FleetArgs,
    ctx: &Context,
    quiet: bool,
) -> anyhow::Result<Option<commands::fleet::FleetOptions>> {
    use std::io::IsTerminal;
    let fleet = args.fleet.is_some() || (ctx.config.fleet.is_some() && !ctx.config.has_database());
    match (args.format, fleet) {
        (Some(FleetFormatArg::Markdown), _) => {
            return Err(usage_error(
                "`--format markdown` is one report on one database, for `check`, `diff` and `lint`: drop it here",
            ))
        }
        (Some(_), false) => return Err(usage_error("`--format text|json` formats a fleet's results: give --fleet")),
        (_, false) => return Ok(None),
        (_, true) => {}
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(Some(commands::fleet::FleetOptions {
        pattern: args.fleet.clone(),
        jobs: args.jobs.map_or(cores, usize::from).max(1),
        keep_going: args.keep_going,
        canary: args.canary,
        json: matches!(args.format, Some(FleetFormatArg::Json)),
        live: !quiet && std::io::stderr().is_terminal(),
    }))
}

fn usage_error(message: &str) -> anyhow::Error {
    anyhow::Error::new(autogen::Error::Usage(message.to_string()))
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
    if let Command::Completions { shell } = &cli.command {
        clap_complete::generate(*shell, &mut <Cli as clap::CommandFactory>::command(), "autogen", out);
        return Ok(Outcome::Done);
    }
    if let Command::Init { dir } = &cli.command {
        let opts = commands::InitOptions {
            dir: dir.as_ref().map_or_else(|| cwd.clone(), |d| cwd.join(d)),
            database: cli.database.clone(),
            schema: cli.schema.as_ref().map(PathBuf::from),
            versions: cli.versions.clone(),
            version_table: None,
        };
        return Ok(commands::init(&opts, &mut Io { out, err, progress: None })?);
    }
    let overrides = Overrides {
        config: cli.config.clone(),
        database: cli.database.clone(),
        schema: cli.schema.clone(),
        versions: cli.versions.clone(),
        autogen_database_url: None,
        database_url: None,
    }
    .with_env();
    let config = config::load(&overrides, &cwd)?;
    if cli.verbose {
        for note in &config.notes {
            writeln!(err, "note: {note}")?;
        }
    }
    let ctx = Context::new(config, cwd, true);
    let mut io = Io { out, err, progress: crate::meter::stderr_sink(cli.quiet) };
    let result = run_command(cli, &ctx, &mut io);
    if cli.verbose {
        for note in ctx.take_notes() {
            writeln!(io.err, "note: {note}")?;
        }
    }
    result
}

/// The command itself, on the settings `dispatch` read.
fn run_command(cli: &Cli, ctx: &Context, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let outcome = match &cli.command {
        Command::Diff { sql, format, exit_code } => {
            if *sql && !matches!(format, FormatArg::Text) {
                return Err(usage_error("--sql prints the upgrade SQL, which has no other format: drop --format"));
            }
            let format = match format {
                FormatArg::Text => Format::Text,
                FormatArg::Json => Format::Json,
                FormatArg::Mermaid => Format::Mermaid,
                FormatArg::Markdown => Format::Markdown,
            };
            commands::diff(ctx, &DiffOptions { sql: *sql, format, exit_code: *exit_code }, io)?
        }
        Command::Check { replay, stairway, fleet } if matches!(fleet.format, Some(FleetFormatArg::Markdown)) => {
            if *replay || fleet.fleet.is_some() {
                return Err(usage_error("`--format markdown` reports on one database: drop --replay and --fleet"));
            }
            commands::check(ctx, Format::Markdown, io)?
        }
        Command::Check { replay, stairway, fleet } => match (fleet_options(fleet, ctx, cli.quiet)?, replay) {
            (Some(_), true) => return Err(usage_error("--replay reads no database: drop --fleet")),
            (Some(opts), false) => commands::fleet::check(ctx, &opts, io)?,
            (None, false) => commands::check(ctx, Format::Text, io)?,
            (None, true) => commands::check_replay(ctx, *stairway, io)?,
        },
        Command::Lint { range, format } => {
            let format = match format {
                LintFormatArg::Text => commands::LintFormat::Text,
                LintFormatArg::Json => commands::LintFormat::Json,
                LintFormatArg::Github => commands::LintFormat::Github,
                LintFormatArg::Markdown => commands::LintFormat::Markdown,
            };
            let range = range.as_deref().map(|r| usage(r.parse::<Range>())).transpose()?;
            commands::lint(ctx, &commands::LintOptions { range, format }, io)?
        }
        Command::Inspect { format } => {
            let format = match format {
                InspectFormat::Yaml => commands::InspectFormat::Yaml,
                InspectFormat::Sql => commands::InspectFormat::Sql,
                InspectFormat::Mermaid => commands::InspectFormat::Mermaid,
            };
            commands::inspect(ctx, format, io)?
        }
        Command::Current { fleet } => match fleet_options(fleet, ctx, cli.quiet)? {
            Some(opts) => commands::fleet::current(ctx, &opts, io)?,
            None => commands::current(ctx, cli.verbose, io)?,
        },
        Command::History { range } => commands::history(ctx, cli.verbose, range.as_ref(), io)?,
        Command::Revision {
            message,
            autogenerate,
            rev_id,
            allow_empty,
            rehearse_data,
            no_rehearse,
            allow_drop_all,
            fill,
            accept_conversion,
            replay,
        } => {
            let mut opts = RevisionOptions {
                message: message.clone(),
                autogenerate: *autogenerate,
                rev_id: rev_id.clone(),
                allow_empty: *allow_empty,
                rehearse_data: *rehearse_data,
                no_rehearse: *no_rehearse,
                allow_drop_all: *allow_drop_all,
                fills: fill.clone(),
                accept_conversions: accept_conversion.clone(),
                ask_fills: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
                replay: *replay,
            };
            // As Django's makemigrations asks: a one-off value for the rows
            // already there, typed at the terminal, then the same command.
            loop {
                match commands::revision(ctx, &opts, io) {
                    Err(autogen::Error::NeedsFill(columns)) => {
                        for (table, column, rows) in columns {
                            let value = ask(&format!(
                                "`{table}.{column}` is new, NOT NULL and without a default, and `{table}` holds {rows} \
                                 rows: a one-off value for them (SQL, such as 0 or 'none'; the schema gets no \
                                 default), or nothing to stop: "
                            ));
                            match value {
                                Some(v) => opts.fills.push(format!("{table}.{column}={v}")),
                                None => {
                                    return Err(
                                        autogen::Error::Refused("no value given: nothing was written".into()).into()
                                    )
                                }
                            }
                        }
                    }
                    other => break other?,
                }
            }
        }
        // cli.md, "Online upgrades": `--sql` prints the offline form, which
        // the arm below the next one writes.
        Command::Upgrade { online: true, sql: false, abort, target, fleet, .. } => {
            if fleet.fleet.is_some() || fleet.jobs.is_some() {
                return Err(usage_error(
                    "--online rebuilds the tables of one database while its app writes: drop --fleet",
                ));
            }
            let json = match fleet.format {
                None | Some(FleetFormatArg::Text) => false,
                Some(FleetFormatArg::Json) => true,
                Some(FleetFormatArg::Markdown) => {
                    return Err(usage_error("`upgrade --online` prints text or `--format json`: drop `markdown`"))
                }
            };
            if *abort {
                commands::abort_online(ctx, io)?
            } else {
                commands::migrate_online(ctx, &usage(target.parse::<Target>())?, json, io)?
            }
        }
        Command::Upgrade { target, sql, fleet, .. } | Command::Downgrade { target, sql, fleet } => {
            let direction =
                if matches!(cli.command, Command::Upgrade { .. }) { Direction::Up } else { Direction::Down };
            if !*sql && target.contains(':') {
                return Err(usage_error(&format!(
                    "`{target}` is a range, which only `--sql` takes (it prints the script): add --sql, or name the \
                     one revision to go to"
                )));
            }
            match (fleet_options(fleet, ctx, cli.quiet)?, sql) {
                (Some(_), true) => {
                    return Err(usage_error("--sql prints one script and reads no database: drop --fleet"))
                }
                (Some(opts), false) => {
                    commands::fleet::migrate(ctx, &opts, &usage(target.parse::<Target>())?, direction, io)?
                }
                (None, false) => commands::migrate(ctx, &usage(target.parse::<Target>())?, direction, io)?,
                (None, true) => commands::offline(ctx, &usage(target.parse::<Range>())?, direction, io)?,
            }
        }
        // Handled above, before any config is read.
        Command::Init { .. } => Outcome::Done,
        Command::Heads => commands::heads(ctx, io)?,
        Command::Show { rev } => commands::show(ctx, rev, io)?,
        Command::Stamp { rev, purge } => commands::stamp(ctx, rev, *purge, io)?,
        Command::Merge { message, revs, rev_id } => commands::merge(ctx, message, revs, rev_id.as_deref(), io)?,
        Command::Edit { rev } => commands::edit(ctx, rev, io)?,
        // Handled above, before any config is read.
        Command::Completions { .. } => Outcome::Done,
    };
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstyled_output_drops_styles_even_cut_across_writes() {
        let styles = [
            anstyle::Style::new().bold(),
            anstyle::AnsiColor::Yellow.on_default().bold(),
            anstyle::Ansi256Color(208).on(anstyle::AnsiColor::Blue),
        ];
        let text: String = styles.iter().map(|s| format!("{s}table{s:#} `t`\n  {s}+{s:#} add ")).collect();
        let plain = "table `t`\n  + add ".repeat(styles.len());
        assert_eq!(anstream::adapter::strip_str(&text).to_string(), plain);
        for cut in 0..=text.len() {
            let mut out = Unstyled { raw: Vec::new(), escape: Escape::None };
            let (a, b) = text.as_bytes().split_at(cut);
            out.write_all(a).unwrap();
            out.write_all(b).unwrap();
            assert_eq!(String::from_utf8(out.raw).unwrap(), plain, "cut at {cut}");
        }
    }
}
