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
        var json = CommonOptions.Json();
        var cacheDir = CommonOptions.CacheDir();
        var command = new Command("validate", "Check a fleet repository: YAML, keys, types, templates, images, device ids, selectors. Exit 1 on errors.")
        {
            repo, reference, workingTree, strict, json, cacheDir,
        };
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

            var errors = result.Diagnostics.Count(d => d.IsError);
            var warnings = result.Diagnostics.Count - errors;
            var failed = errors > 0 || (parse.GetValue(strict) && warnings > 0);
            if (parse.GetValue(json))
            {
                CliJson.Write(console, new ValidateJson(source, snapshot.Ref, snapshot.Commit?.Sha, !failed, errors, warnings,
                    result.Diagnostics.Select(DiagnosticsView.ToJson).ToList()), CliJson.Context.ValidateJson);
            }
            else
            {
                DiagnosticsView.Print(console, result.Diagnostics);
                var at = snapshot.Commit is { } commit ? $"{snapshot.Ref} ({commit.ShortSha})" : snapshot.Ref;
                var summary = $"{errors} error{(errors == 1 ? "" : "s")}, {warnings} warning{(warnings == 1 ? "" : "s")} in {Markup.Escape(source)} at {Markup.Escape(at)}";
                console.Out.MarkupLine(failed ? $"[red]{summary}[/]" : $"[green]{summary}: valid[/]");
            }

            return failed ? ExitCodes.Error : ExitCodes.Ok;
        });
        return command;
    }
}
