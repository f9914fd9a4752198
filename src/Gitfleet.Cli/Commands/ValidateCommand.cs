using System.CommandLine;
using Gitfleet.Cli.Output;
using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Repository;
using Gitfleet.Git;
using Spectre.Console;

namespace Gitfleet.Cli.Commands;

/// <summary><c>gitfleet validate</c>: every problem in the repository at once, as file:line:col: message.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliConsole console)
    {
        var repo = CommonOptions.Repo();
        var reference = new Option<string>("--ref")
        {
            Description = "The branch, tag or commit to check.",
            DefaultValueFactory = _ => "HEAD",
            HelpName = "REF",
        };
        var workingTree = new Option<bool>("--working-tree")
        {
            Description = "Check the files on disk (uncommitted changes included) instead of a committed ref.",
        };
        var strict = new Option<bool>("--strict") { Description = "Treat warnings as errors (exit 1)." };
        var branch = new Option<string?>("--branch", "-b")
        {
            Description = "With --facts or --server: the stage this ref goes to; warn when its change would move more bytes than the stage's byte budget (gitfleet.yml).",
            HelpName = "BRANCH",
        };
        var facts = new Option<string?>("--facts") { Description = "A facts file (docs/facts.md) for the byte-budget check of --branch. Or use --server.", HelpName = "FILE" };
        var connection = new ServerConnection(required: false);
        var json = CommonOptions.Json();
        var cacheDir = CommonOptions.CacheDir();
        var command = new Command("validate", "Check a fleet repository: YAML, keys, types, templates, images, device ids, selectors. Exit 1 on errors.")
        {
            repo, reference, workingTree, strict, branch, facts, json, cacheDir,
        };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var source = parse.GetValue(repo)!;
            RepositorySnapshot snapshot;
            Core.Loading.FleetLoadResult result;
            if (parse.GetValue(workingTree))
            {
                if (FleetRepository.IsRemote(source))
                {
                    return console.Fail("--working-tree needs a local directory, not a URL");
                }

                try
                {
                    snapshot = WorkingTreeReader.Read(console.ResolvePath(source));
                }
                catch (GitCommandException e)
                {
                    return console.Fail(e.Message);
                }

                result = Core.Loading.FleetLoader.Load(snapshot);
            }
            else
            {
                var access = await RepositoryAccess.OpenAsync(console, source, parse.GetValue(cacheDir), cancellationToken).ConfigureAwait(false);
                snapshot = await access.ReadAsync(parse.GetValue(reference)!, cancellationToken).ConfigureAwait(false);
                result = access.Load(snapshot);
            }

            var diagnostics = result.Diagnostics;
            if (parse.GetValue(branch) is { } stage && result.Revision is { } revision && !diagnostics.Any(d => d.IsError))
            {
                var document = parse.GetValue(facts) is { } path
                    ? await PlanCommand.ReadFactsAsync(console, path, Core.Facts.FactsProjection.All, cancellationToken).ConfigureAwait(false)
                    : connection.ServerUrl(parse, console) is not null
                        ? await PlanCommand.ReadServerFactsAsync(console, connection, parse, Core.Facts.FactsProjection.All, cancellationToken).ConfigureAwait(false)
                        : throw new CliException("--branch needs --facts FILE or --server URL: the byte budget is checked against what the devices run");
                diagnostics = [.. diagnostics, .. BudgetCheck(revision, stage, document, console.Environment)];
            }

            var errors = diagnostics.Count(d => d.IsError);
            var warnings = diagnostics.Count - errors;
            var failed = errors > 0 || (parse.GetValue(strict) && warnings > 0);
            if (parse.GetValue(json))
            {
                CliJson.Write(console, new ValidateJson(source, snapshot.Ref, snapshot.Commit?.Sha, !failed, errors, warnings,
                    diagnostics.Select(DiagnosticsView.ToJson).ToList()), CliJson.Context.ValidateJson);
            }
            else
            {
                DiagnosticsView.Print(console, diagnostics);
                var at = snapshot.Commit is { } commit ? $"{snapshot.Ref} ({commit.ShortSha})" : snapshot.Ref;
                var summary = $"{errors} error{(errors == 1 ? "" : "s")}, {warnings} warning{(warnings == 1 ? "" : "s")} in {Markup.Escape(source)} at {Markup.Escape(at)}";
                console.Out.MarkupLine(failed ? $"[red]{summary}[/]" : $"[green]{summary}: valid[/]");
            }

            return failed ? ExitCodes.Error : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The byte budget check: the stage's plan at this revision against the facts, its bytes over the air against
    /// gitfleet.yml's byteBudget, as warnings at the stage's policy (--strict makes them fail the check).
    /// </summary>
    private static IEnumerable<Diagnostic> BudgetCheck(Core.Fleet.FleetRevision revision, string stage, Core.Facts.FactsDocument facts, Func<string, string?> secrets)
    {
        var policy = revision.Settings.PolicyFor(stage);
        var plan = Core.Planning.Planner.Plan(new Core.Planning.PlanRequest { Branch = stage, Revision = revision, Facts = facts.Devices, Secrets = secrets });
        var (estimate, budgetWarnings) = PlanCommand.Transfer(plan, facts, revision);
        var warnings = budgetWarnings.ToList();
        if (!estimate.HasCatalog && estimate.Devices > 0)
        {
            warnings.Add("the facts carry no catalog of artifact sizes, so the bytes over the air cannot be checked (use --server, or see docs/facts.md)");
        }

        return warnings
            .Select(w => Diagnostic.Warning(DiagnosticCodes.ByteBudget, policy.Location, $"branch '{stage}': {w}"));
    }
}
