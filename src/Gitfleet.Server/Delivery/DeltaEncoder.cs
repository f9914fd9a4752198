using System.Globalization;
using Gitfleet.Git;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// Runs xdelta3 (VCDIFF, RFC 3284) to encode target against base. The parameters are the ones bench/delta.sh
/// measured on real Debian images (docs/artifacts.md): the source window covers the whole base, so a block that moved
/// anywhere in the image is still found; level 9 with DJW secondary compression gives the smallest deltas at a
/// bounded memory cost (about the source window plus a few hundred MiB).
/// </summary>
internal static class DeltaEncoder
{
    /// <summary>The largest source window (bytes of the base held at once): bases above it still work, with larger deltas.</summary>
    public const long MaxSourceWindow = 1L << 30;

    public static IReadOnlyList<string> Arguments(string basePath, string targetPath, string output, long baseSize)
    {
        var window = Math.Clamp(RoundUpToMiB(baseSize), 1L << 20, MaxSourceWindow);
        return ["-e", "-9", "-S", "djw", "-f", "-B", window.ToString(CultureInfo.InvariantCulture), "-s", basePath, targetPath, output];
    }

    /// <summary>Encodes; throws <see cref="InvalidOperationException"/> with xdelta3's message when it fails.</summary>
    public static async Task EncodeAsync(string tool, string basePath, string targetPath, string output, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync(
            tool, Arguments(basePath, targetPath, output, new FileInfo(basePath).Length), timeout: timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"{tool} exited with {result.ExitCode}: {result.StandardError.Trim()}");
        }
    }

    private static long RoundUpToMiB(long bytes) => (bytes + (1L << 20) - 1) & ~((1L << 20) - 1);
}
