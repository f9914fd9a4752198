using System.Text.Json;
using Gitfleet.Artifacts.Signing;
using Gitfleet.Artifacts.Tests.Support;

namespace Gitfleet.Artifacts.Tests.Writing;

public sealed class ConfigurationArtifactTests : IDisposable
{
    private static readonly Dictionary<string, string> Configuration = new()
    {
        ["timezone"] = "Europe/Zurich",
        ["kiosk_url"] = "https://example.com/?a=1&b=<2>",
        ["motd"] = "Grüezi \"fleet\"\n",
    };

    private readonly ArtifactWorkspace workspace = new();

    [Fact]
    public void Mender_artifact_reads_a_mender_configure_payload_with_the_configuration_as_meta_data()
    {
        var path = Write("config.mender", ArtifactWriter.CreateConfigurationArtifact("config-3f2a", ["pi4", "pi3"], Configuration));

        var result = Tools.TryMenderArtifact(workspace.Path, "validate", path);
        result.Succeeded.ShouldBeTrue(result.StandardError);
        var listing = Tools.MenderArtifact(workspace.Path, "read", path);
        listing.ShouldContain("Name: config-3f2a");
        listing.ShouldContain("Type:   mender-configure");
        listing.ShouldContain("data-partition.mender-configure.version: config-3f2a");
        listing.ShouldContain("Clears Provides: [\"data-partition.mender-configure.*\"]");
        listing.ShouldContain("\"timezone\": \"Europe/Zurich\"");
    }

    [Fact]
    public async Task Installing_it_cannot_change_rootfs_image_version()
    {
        var bytes = ArtifactWriter.CreateConfigurationArtifact("config-3f2a", ["pi4"], Configuration);

        var info = await ArtifactReader.ReadAsync(new MemoryStream(bytes));

        info.Provides.Keys.Order().ShouldBe(["artifact_name", ConfigurationArtifact.VersionProvide]);
        info.ClearsProvides.ShouldBe([ConfigurationArtifact.ClearsProvidesPattern]);
        info.ClearsAllProvides.ShouldBeFalse();
        info.ClearsProvides.ShouldAllBe(pattern => !WildcardMatches(pattern, "rootfs-image.version"));
        var payload = info.Payloads.ShouldHaveSingleItem();
        payload.Type.ShouldBe(ConfigurationArtifact.PayloadType);
        payload.Files.ShouldBeEmpty();
        JsonSerializer.Deserialize<Dictionary<string, string>>(payload.MetaData!).ShouldBe(Configuration, ignoreOrder: true);
    }

    [Fact]
    public void Equal_input_gives_equal_bytes_whatever_the_dictionary_order()
    {
        var reversed = Configuration.Reverse().ToDictionary();

        var first = ArtifactWriter.CreateConfigurationArtifact("config-1", ["pi4"], Configuration);
        var second = ArtifactWriter.CreateConfigurationArtifact("config-1", ["pi4"], reversed);
        using var stream = new MemoryStream();
        ArtifactWriter.WriteConfigurationArtifact(stream, "config-1", ["pi4"], Configuration);

        second.ShouldBe(first);
        stream.ToArray().ShouldBe(first);
        ArtifactWriter.CreateConfigurationArtifact("config-2", ["pi4"], Configuration).ShouldNotBe(first);
    }

    [Fact]
    public async Task A_signed_configuration_artifact_validates_with_the_public_key()
    {
        var keys = TestKeys.Instance;
        using var key = ArtifactSigningKey.FromPem(keys.Read("ec.pem"));
        var path = Write("signed-config.mender", ArtifactWriter.CreateConfigurationArtifact("config-9", ["pi4"], Configuration, key));

        var result = Tools.TryMenderArtifact(workspace.Path, "validate", "-k", keys.EcPublicPath, path);

        result.Succeeded.ShouldBeTrue(result.StandardError);
        (await workspace.ReadAsync("signed-config.mender", new ArtifactReaderOptions { VerificationKeys = [keys.Read("ec.pub.pem")] }))
            .SignatureVerified.ShouldBeTrue();
    }

    [Fact]
    public void An_empty_configuration_is_still_a_valid_artifact()
    {
        var path = Write("empty.mender", ArtifactWriter.CreateConfigurationArtifact("config-empty", ["pi4"], new Dictionary<string, string>()));

        Tools.TryMenderArtifact(workspace.Path, "validate", path).Succeeded.ShouldBeTrue();
    }

    public void Dispose() => workspace.Dispose();

    /// <summary>The Mender client's wildcard rule for clears_artifact_provides: '*' matches any run of characters.</summary>
    private static bool WildcardMatches(string pattern, string key) =>
        System.Text.RegularExpressions.Regex.IsMatch(
            key, "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$");

    private string Write(string name, byte[] bytes)
    {
        var path = workspace.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
