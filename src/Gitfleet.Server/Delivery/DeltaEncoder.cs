using System.Globalization;
using Gitfleet.Git;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// Runs xdelta3 (VCDIFF, RFC 3284) to encode target against base, with the parameters bench/delta.sh chose on real
/// Debian images (docs/artifacts.md): level 9 with DJW secondary compression and a 256 MiB source window. Images of
/// the same build lay their files out alike, so a window that follows the target through the base finds nearly every
/// match (a 1 GiB window gave no smaller monthly delta for 2.6 times the memory); the encoder then stays under
/// about 850 MiB for a 1 GiB image, and the device decodes with a 64 MiB window.
/// </summary>
internal static class DeltaEncoder
{
    /// <summary>The largest source window (bytes of the base held at once); smaller bases get a window of their size.</summary>
    public const long MaxSourceWindow = 256L << 20;

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
