using System.Globalization;
using System.Text;

namespace Gitfleet.TestSupport.Mender;

/// <summary>
/// What every real mender-client in the tests needs: a private mount namespace where the paths fixed in the binary
/// (/etc/mender, /usr/share/mender, ...) are bind mounts of the device's own directories, and the little scripts
/// the client runs (identity, inventory). Used by <see cref="MenderClientHarness"/> and the device sandbox's client.
/// </summary>
public static class MenderNamespace
{
    /// <summary>
    /// Arguments for <c>unshare</c> that bind-mount each source over its target in a private mount namespace and
    /// exec <paramref name="command"/> there (its output appended to <paramref name="log"/> when given). Paths travel
    /// as positional parameters, never spliced into the shell text.
    /// </summary>
    public static string[] Arguments(IReadOnlyList<(string Source, string Target)> binds, IReadOnlyList<string> command, string? log = null)
    {
        ArgumentNullException.ThrowIfNull(binds);
        ArgumentNullException.ThrowIfNull(command);
        var script = new StringBuilder(log is null ? "" : "log=\"$1\" && shift && ");
        var positional = log is null ? new List<string>() : [log];
        foreach (var (source, target) in binds)
        {
            script.Append("mount --bind \"$1\" \"$2\" && shift 2 && ");
            positional.Add(source);
            positional.Add(target);
        }

        script.Append(log is null ? "exec \"$@\"" : "exec \"$@\" >> \"$log\" 2>&1");
        return ["--mount", "--propagation", "private", "/bin/sh", "-c", script.ToString(), "sh", .. positional, .. command];
    }

    /// <summary>A shell script printing key=value lines (mender-device-identity, an inventory script), keys sorted.</summary>
    public static string KeyValueScript(IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var text = new StringBuilder("#!/bin/sh\n");
        foreach (var (key, value) in values.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"echo {Quote($"{key}={value}")}\n");
        }

        return text.ToString();
    }

    /// <summary>Writes a file with mode 0755 (creating its directory).</summary>
    public static string WriteExecutable(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
        }

        return path;
    }

    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
