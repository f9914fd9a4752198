using System.CommandLine;

namespace Gitfleet.Cli.Commands;

/// <summary>Options several commands share, so they read the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string> Repo() => new("--repo", "-r")
    {
        Description = "The fleet repository: a local path or a git URL (cloned into a cache, never into your working tree).",
        DefaultValueFactory = _ => ".",
        HelpName = "PATH|URL",
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "Write one JSON document to stdout instead of tables (for scripts and CI).",
    };

    public static Option<string?> CacheDir() => new("--cache-dir")
    {
        Description = "Where remote repositories are mirrored (default: ~/.cache/gitfleet/repos).",
        HelpName = "DIR",
    };
}
