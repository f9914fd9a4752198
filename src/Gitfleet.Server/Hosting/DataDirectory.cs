namespace Gitfleet.Server.Hosting;

/// <summary>
/// The data dir layout (docs/server.md): database, artifact files, TLS material and keys. The artifact files may
/// live elsewhere (<paramref name="artifacts"/>): with several replicas, a directory all of them share.
/// </summary>
public sealed class DataDirectory
{
    public DataDirectory(string root, string? artifacts = null)
    {
        Root = Path.GetFullPath(root);
        ArtifactsDirectory = artifacts is null ? Path.Combine(Root, "artifacts") : Path.GetFullPath(artifacts);
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(ArtifactsDirectory);
        Directory.CreateDirectory(TlsDirectory);
        Directory.CreateDirectory(KeysDirectory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(KeysDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Root { get; }

    public string DatabasePath => Path.Combine(Root, "gitfleet.db");

    public string ArtifactsDirectory { get; }

    public string TlsDirectory => Path.Combine(Root, "tls");

    public string KeysDirectory => Path.Combine(Root, "keys");

    /// <summary>The generated certificate (PEM, certificate only): give this to clients to trust.</summary>
    public string CertificatePath => Path.Combine(TlsDirectory, "server.crt");

    public string CertificateKeyPath => Path.Combine(TlsDirectory, "server.key");

    public string TokenKeyPath => Path.Combine(KeysDirectory, "token-signing.key");

    public string ArtifactPath(string fileName) => Path.Combine(ArtifactsDirectory, fileName);

    /// <summary>Writes a secret file readable by the owner only (0600), created with that mode so it is never exposed.</summary>
    public static void WriteSecret(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }
}
