namespace Gitfleet.Core.Rollouts;

/// <summary>
/// A failure reason (<see cref="FailureReason.Describe"/>) reduced to a small fixed set of classes: the label of
/// the failure metrics and the dashboard's grouping. Reasons are free text from device logs; classes are few.
/// </summary>
public static class FailureClass
{
    public const string NoArtifact = "no-artifact";
    public const string NoLog = "no-log";
    public const string Download = "download";
    public const string HealthCheck = "health-check";
    public const string Verification = "verification";
    public const string DiskSpace = "disk-space";
    public const string Install = "install";
    public const string Other = "other";

    public static readonly IReadOnlyList<string> All = [NoArtifact, NoLog, Download, HealthCheck, Verification, DiskSpace, Install, Other];

    public static string Of(string? reason)
    {
        if (string.IsNullOrEmpty(reason))
        {
            return Other;
        }

        if (FailureReason.IsNoArtifact(reason))
        {
            return NoArtifact;
        }

        if (FailureReason.AwaitsLog(reason))
        {
            return NoLog;
        }

        var detail = reason.AsSpan(reason.IndexOf(" failed", StringComparison.Ordinal) is var at and >= 0 ? at : 0);
        return detail switch
        {
            _ when Has(detail, "health check") || Has(detail, "rolled back") || Has(detail, "rollback") => HealthCheck,
            _ when Has(detail, "download") || Has(detail, "connection") || Has(detail, "timed out") || Has(detail, "timeout") => Download,
            _ when Has(detail, "signature") || Has(detail, "checksum") || Has(detail, "verif") => Verification,
            _ when Has(detail, "no space") || Has(detail, "disk full") || Has(detail, "space left") => DiskSpace,
            _ when reason.Contains(" failed", StringComparison.Ordinal) => Install,
            _ => Other,
        };
    }

    private static bool Has(ReadOnlySpan<char> text, string word) => text.Contains(word, StringComparison.OrdinalIgnoreCase);
}
