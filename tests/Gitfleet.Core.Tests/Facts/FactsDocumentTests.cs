using System.Text;
using Gitfleet.Core.Facts;

namespace Gitfleet.Core.Tests.Facts;

public sealed class FactsDocumentTests
{
    private static FactsDocument Parse(string json) => FactsDocument.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Omitted_collections_read_as_empty()
    {
        var device = Parse("""{"schema":"gitfleet.facts/v1","devices":[{"id":"d1","tags":null}]}""").Devices.Single();
        device.Tags.ShouldBeEmpty();
        device.Attributes.ShouldBeEmpty();
        device.InFlight.ShouldBeEmpty();
        device.ReportedConfiguration.ShouldBeNull();
        device.Status.ShouldBe(DeviceStatus.Accepted);
    }

    [Fact]
    public void Installed_image_prefers_rootfs_image_version()
    {
        var device = new DeviceFacts { Id = "d", ArtifactName = "configuration-123", Attributes = new Dictionary<string, string> { ["rootfs-image.version"] = "os-v2" } };
        device.InstalledImage.ShouldBe("os-v2");
        (device with { Attributes = DeviceFacts.EmptyMap }).InstalledImage.ShouldBe("configuration-123");
    }

    [Theory]
    [InlineData("{\"schema\":\"gitfleet.facts/v1\",\"devices\":[{\"id\":\"d\"},{\"id\":\"d\"}]}", "devices[1]: device id 'd' appears twice")]
    [InlineData("{\"schema\":\"gitfleet.facts/v1\",\"devices\":[{\"device_type\":\"x\"}]}", "devices[0]: a device needs a non-empty")]
    [InlineData("{\"schema\":\"other/v9\"}", "unsupported schema 'other/v9'")]
    [InlineData("{\"schema\":\"gitfleet.facts/v1\",\n\"devices\": [ }", "line 2")]
    [InlineData("null", "empty")]
    public void Bad_documents_get_readable_errors(string json, string message) =>
        Should.Throw<FactsFormatException>(() => Parse(json)).Message.ShouldContain(message);

    [Fact]
    public void Round_trips()
    {
        var document = new FactsDocument
        {
            Devices =
            [
                new DeviceFacts
                {
                    Id = "d1",
                    DeviceType = "pi4",
                    InFlight = [new InFlightDeployment { DeploymentId = "x", Kind = DeploymentKind.Configuration, ConfigurationChecksum = "c" }],
                },
            ],
        };
        var json = document.ToJson();
        json.ShouldContain("\"kind\": \"configuration\"");
        Parse(json).Devices.Single().InFlight.Single().Kind.ShouldBe(DeploymentKind.Configuration);
    }

    [Fact]
    public void Configuration_checksum_is_order_independent_and_unambiguous()
    {
        var a = ConfigurationChecksum.Compute(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        var b = ConfigurationChecksum.Compute(new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        a.ShouldBe(b);
        ConfigurationChecksum.Compute(new Dictionary<string, string> { ["ab"] = "" })
            .ShouldNotBe(ConfigurationChecksum.Compute(new Dictionary<string, string> { ["a"] = "b" }));
        a.Length.ShouldBe(64);
    }
}
