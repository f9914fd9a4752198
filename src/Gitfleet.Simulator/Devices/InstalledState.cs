using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Simulator.Artifacts;

namespace Gitfleet.Simulator.Devices;

/// <summary>
/// What a device has installed: artifact name, provides, applied configuration. Immutable and shared: devices of
/// one type that installed the same artifacts point at the same object (transitions are memoised), so 100,000
/// devices hold a handful of these, and the check-in body is serialised once per state.
/// </summary>
internal sealed class InstalledState
{
    public const string ImageProvide = "rootfs-image.version";
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly ConcurrentDictionary<ArtifactFacts, InstalledState> transitions = new(ReferenceEqualityComparer.Instance);
    private byte[]? nextBody;
    private byte[]? nextBodyV1;

    private InstalledState(string deviceType, string artifactName, IReadOnlyDictionary<string, string> provides, string provisionedImage, IReadOnlyDictionary<string, string>? configuration)
    {
        DeviceType = deviceType;
        ArtifactName = artifactName;
        Provides = provides;
        ProvisionedImage = provisionedImage;
        Configuration = configuration;
        ConfigurationChecksum = configuration is null ? null : Core.Facts.ConfigurationChecksum.Compute(configuration);
    }

    public string DeviceType { get; }

    public string ArtifactName { get; }

    /// <summary>The client's stored provides, without artifact_name (kept apart, as the client does).</summary>
    public IReadOnlyDictionary<string, string> Provides { get; }

    /// <summary>The image of /etc/mender/artifact_info: the interlock's fallback when no rootfs-image.version is provided.</summary>
    public string ProvisionedImage { get; }

    public IReadOnlyDictionary<string, string>? Configuration { get; }

    public string? ConfigurationChecksum { get; }

    /// <summary>The running OS image as the mender-configure module determines it.</summary>
    public string RunningImage => Provides.GetValueOrDefault(ImageProvide) ?? ProvisionedImage;

    public static InstalledState Provisioned(string deviceType, string image, IReadOnlyDictionary<string, string>? configuration) =>
        new(deviceType, image, new Dictionary<string, string>(StringComparer.Ordinal) { [ImageProvide] = image }, image, configuration);

    /// <summary>
    /// The state after committing <paramref name="artifact"/>, as the 3.4 client's datastore does it: the new
    /// artifact_name; stored provides matching the artifact's clears_artifact_provides removed (all of them when it
    /// has none); the artifact's provides added. A mender-configure artifact also replaces the applied configuration.
    /// </summary>
    public InstalledState Commit(ArtifactFacts artifact) => transitions.GetOrAdd(artifact, a =>
    {
        var provides = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!a.ClearsAllProvides)
        {
            foreach (var (key, value) in Provides)
            {
                if (!a.ClearsProvides.Any(pattern => Wildcard.IsMatch(pattern, key)))
                {
                    provides[key] = value;
                }
            }
        }

        foreach (var (key, value) in a.Provides)
        {
            provides[key] = value;
        }

        return new InstalledState(DeviceType, a.Name, provides, ProvisionedImage, a.IsConfiguration ? a.Configuration : Configuration);
    });

    /// <summary>The v2 check-in body: <c>{"device_provides":{...},"update_control_map":true}</c>, built once.</summary>
    public byte[] NextBody => nextBody ??= Json(writer =>
    {
        writer.WriteStartObject();
        writer.WritePropertyName("device_provides");
        WriteProvides(writer);
        writer.WriteBoolean("update_control_map", true);
        writer.WriteEndObject();
    });

    /// <summary>The v1 POST next body: the provides as a flat object.</summary>
    public byte[] NextBodyV1 => nextBodyV1 ??= Json(WriteProvides);

    private void WriteProvides(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("artifact_name", ArtifactName);
        writer.WriteString("device_type", DeviceType);
        foreach (var (key, value) in Provides.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }

    public static byte[] Json(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
