namespace Gitfleet.Cli;

/// <summary>Process exit codes, documented in docs/cli.md. Scripts and CI depend on them: never renumber.</summary>
public static class ExitCodes
{
    /// <summary>Success; for plan: nothing would change; for status/gate: converged and healthy.</summary>
    public const int Ok = 0;

    /// <summary>An error: invalid repository, unreachable server, failed devices, bad arguments.</summary>
    public const int Error = 1;

    /// <summary>plan/apply dry-run: changes are planned.</summary>
    public const int ChangesPlanned = 2;

    /// <summary>status --wait / gate: the timeout passed before the stage converged.</summary>
    public const int Timeout = 3;

    /// <summary>Interrupted (Ctrl-C).</summary>
    public const int Interrupted = 130;
}
