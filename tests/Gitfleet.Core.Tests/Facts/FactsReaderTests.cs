using System.Text;
using System.Text.Json;
using Gitfleet.Core.Facts;

namespace Gitfleet.Core.Tests.Facts;

/// <summary>
/// The facts reader against System.Text.Json's own deserializer, on documents written every way JSON allows
/// (indented or not, escapes, comments, braces inside strings, unknown nested properties, a top-level "devices"
/// string), whole and in chunks of a few bytes; and its errors, which must name the place in the document.
/// </summary>
public sealed class FactsReaderTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(7, true)]
    [InlineData(3000, false)]
    [InlineData(3000, true)]
    public async Task Reads_what_the_json_deserializer_reads(int devices, bool indented)
    {
        var json = Document(devices, indented, seed: devices);
        var expected = JsonSerializer.Deserialize(json, FactsJsonContext.Default.FactsDocument)!;

        Same(FactsDocument.Parse(json), expected);
        Same(await FactsDocument.ReadAsync(new MemoryStream(json), CancellationToken.None), expected);
        Same(await FactsDocument.ReadAsync(new TrickleStream(json, seed: devices), CancellationToken.None), expected);
    }

    [Fact]
    public void A_projection_keeps_only_what_it_names()
    {
        var json = Encoding.UTF8.GetBytes("""
            {"schema":"gitfleet.facts/v1","devices":[
              {"id":"d1","identity":{"mac":"m1","serial":"s1"},"attributes":{"rootfs-image.version":"v1","uptime_seconds":"12","kernel":"6.1"},
               "reported_configuration":{"a":"1"},"configured_configuration":{"a":"2"},"tags":{"site":"x"}}]}
            """);
        var device = FactsDocument.Parse(json, new FactsProjection
        {
            Attributes = new HashSet<string> { "rootfs-image.version", "kernel" },
            Identity = new HashSet<string> { "serial" },
            ConfiguredConfiguration = false,
        }).Devices.Single();

        device.Attributes.ShouldBe(new Dictionary<string, string> { ["rootfs-image.version"] = "v1", ["kernel"] = "6.1" }, ignoreOrder: true);
        device.Identity.ShouldBe(new Dictionary<string, string> { ["serial"] = "s1" });
        device.ConfiguredConfiguration.ShouldBeNull();
        device.ReportedConfiguration.ShouldBe(new Dictionary<string, string> { ["a"] = "1" });
        device.Tags["site"].ShouldBe("x");
    }

    [Fact]
    public async Task The_transfer_catalog_after_the_devices_is_read_whole_and_in_chunks()
    {
        var json = Encoding.UTF8.GetBytes("""
            {"schema":"gitfleet.facts/v1","devices":[{"id":"d1","attributes":{"rootfs-image.version":"v1"}}],
             "catalog":{"artifacts":[{"name":"img-2","image":"img-2","device_types":["pi4"],"size":313766912,"delta_capable":true}],
                        "deltas":[{"from":"img-1","to":"img-2","device_type":"pi4","state":"ready","size":9123456}]}}
            """);

        foreach (var document in new[]
        {
            FactsDocument.Parse(json, new FactsProjection { Attributes = new HashSet<string>(), ConfiguredConfiguration = false }),
            await FactsDocument.ReadAsync(new TrickleStream(json, seed: 3), CancellationToken.None),
        })
        {
            document.Devices.Single().Id.ShouldBe("d1");
            document.Catalog.ShouldNotBeNull();
            document.Catalog.Artifacts.Single().Size.ShouldBe(313766912);
            document.Catalog.Deltas.Single().Size.ShouldBe(9123456);
        }

        FactsDocument.Parse("""{"schema":"gitfleet.facts/v1","devices":[]}"""u8).Catalog.ShouldBeNull();
        Should.Throw<FactsFormatException>(() => FactsDocument.Parse("""{"schema":"gitfleet.facts/v1","devices":[],"catalog":{"artifacts":7}}"""u8))
            .Message.ShouldContain("catalog");
    }

    [Fact]
    public void Numbers_and_booleans_in_maps_read_as_their_text()
    {
        var device = FactsDocument.Parse("""{"schema":"gitfleet.facts/v1","devices":[{"id":"d","attributes":{"n":12.5,"t":true,"f":false,"z":null}}]}"""u8).Devices.Single();
        device.Attributes.ShouldBe(new Dictionary<string, string> { ["n"] = "12.5", ["t"] = "true", ["f"] = "false", ["z"] = "" }, ignoreOrder: true);
    }

    [Fact]
    public void Maps_keep_their_own_values_and_equal_maps_and_texts_are_one_instance()
    {
        // A unique value in each configuration (its map is new, its keys array shared), texts repeated in and out
        // of ASCII, raw and escaped, and a key twice (the last value wins).
        var devices = Enumerable.Range(0, 60).Select(i =>
            $$$"""{"id":"d{{{i}}}","in_flight":[],"reported_configuration":{"site":"s{{{i % 3}}}","url":"https://x/{{{i}}}","name":"café{{{i % 2}}}","escaped":"caf\u00e9{{{i % 2}}}"},"tags":{"a":"1","a":"{{{i % 2}}}"},"identity":{"mac":"m{{{i % 2}}}"}}""");
        var json = Encoding.UTF8.GetBytes($$"""{"schema":"gitfleet.facts/v1","devices":[{{string.Join(",", devices)}}]}""");

        var read = FactsDocument.Parse(json).Devices;

        for (var i = 0; i < read.Count; i++)
        {
            read[i].ReportedConfiguration.ShouldBe(
                new Dictionary<string, string> { ["site"] = $"s{i % 3}", ["url"] = $"https://x/{i}", ["name"] = $"café{i % 2}", ["escaped"] = $"café{i % 2}" });
            read[i].Tags.ShouldBe(new Dictionary<string, string> { ["a"] = $"{i % 2}" });
            read[i].InFlight.ShouldBeEmpty();
        }

        read[4].Identity.ShouldBeSameAs(read[2].Identity); // the first map with a value never seen before is not remembered
        read[2].Identity.ShouldNotBeSameAs(read[0].Identity);
        read[3].Identity.ShouldNotBeSameAs(read[2].Identity);
        read[2].ReportedConfiguration!["name"].ShouldBeSameAs(read[0].ReportedConfiguration!["name"]);
        read[2].ReportedConfiguration!["escaped"].ShouldBeSameAs(read[0].ReportedConfiguration!["name"]);
        read[3].ReportedConfiguration!["site"].ShouldBeSameAs(read[0].ReportedConfiguration!["site"]);
    }

    [Fact]
    public void A_device_whose_maps_were_seen_before_costs_its_record_and_id_only()
    {
        // Every map and text of this device repeats, so reading it again keeps only the DeviceFacts and the id; the
        // error message of each value must not be made unless there is an error (it once was, per value and device).
        var json = """{"id":"00000000-0000-4000-8000-000000000001","status":"accepted","device_type":"pi4","artifact_name":"img-1","identity":{"mac":"m"},"tags":{"ring":"production","site":"s1"},"attributes":{"rootfs-image.version":"img-1","kernel":"6.1","os":"debian"},"reported_configuration":{"a":"1","b":"2"},"configured_configuration":{"a":"1"},"last_check_in":"2027-01-15T08:00:00+00:00","in_flight":[]}"""u8.ToArray();
        var parser = new Gitfleet.Core.Facts.Reading.DeviceParser(new FactsProjection { Attributes = new HashSet<string> { "rootfs-image.version" }, ConfiguredConfiguration = false });
        for (var i = 0; i < 100; i++)
        {
            Read(parser, json); // the parser's tables fill, the code is compiled
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Read(parser, json);
        }

        var perDevice = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000;
        perDevice.ShouldBeLessThan(400); // DeviceFacts and the id: about 250 bytes; with a message per value, 700 more

        static DeviceFacts Read(Gitfleet.Core.Facts.Reading.DeviceParser parser, byte[] json)
        {
            var cursor = new Gitfleet.Core.Facts.Reading.JsonCursor(json, default);
            return parser.Parse(ref cursor, 0);
        }
    }

    [Theory]
    [InlineData("{\"schema\":\"gitfleet.facts/v1\",\n\"devices\": [\n  {\"id\":\"a\"},\n  {\"id\":\"b\", \"status\": }\n]}", "line 4, position 24: expected a value, found '}'")]
    [InlineData("{\"schema\":\"gitfleet.facts/v1\",\"devices\":[{\"id\":\"a\"},{\"id\":\"b\",\"status\":7}]}", "at byte 71: \"status\" must be a string")]
    [InlineData("{\"schema\":\"gitfleet.facts/v1\",\"devices\":[{\"id\":\"a\"},\n 5]}", "line 2, position 2: devices[1] must be an object")]
    [InlineData("{\"schema\":\"gitfleet.facts/v1\",\"devices\":[{\"id\":\"a\"} {\"id\":\"b\"}]}", "expected ',' or ']' after devices[0]")]
    [InlineData("{\"schema\":\"gitfleet.facts/v1\",\"devices\":[{\"id\":\"a\"},{\"id\":\"b\"", "ends early")]
    [InlineData("{\"schema\":\"gitfleet.facts/v1\",\"devices\":[{\"id\":\"a\"}],\n\"generated_at\": 12}", "at byte 70: \"generated_at\" must be a date")]
    [InlineData("{\"devices\":[{\"id\":\"a\"}],\n  \"schema\" \"x\"}", "line 2, position 12")]
    [InlineData("{\"schema\":\"gitfleet.facts/v1\",\"devices\":[{\"id\":\"\"}]}", "devices[0]: a device needs a non-empty")]
    public async Task Errors_name_the_place_in_the_document(string json, string message)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Should.Throw<FactsFormatException>(() => FactsDocument.Parse(bytes)).Message.ShouldContain(message);
        (await Should.ThrowAsync<FactsFormatException>(() => FactsDocument.ReadAsync(new TrickleStream(bytes, seed: 1), CancellationToken.None)))
            .Message.ShouldContain(message);
    }

    [Fact]
    public async Task The_first_problem_in_the_document_is_reported_when_several_readers_find_one()
    {
        var devices = Enumerable.Range(0, 4000).Select(i => i is 1500 or 3900
            ? $$"""{"id":"d{{i}}","status":{{i}}}"""
            : $$"""{"id":"d{{i}}","attributes":{"padding":"{{new string('x', 200)}}"} }""");
        var json = Encoding.UTF8.GetBytes($$"""{"schema":"gitfleet.facts/v1","devices":[{{string.Join(",", devices)}}]}""");
        var expected = $"at byte {Encoding.UTF8.GetString(json).IndexOf("1500}", StringComparison.Ordinal)}: \"status\" must be a string";

        Should.Throw<FactsFormatException>(() => FactsDocument.Parse(json)).Message.ShouldBe(expected);
        (await Should.ThrowAsync<FactsFormatException>(() => FactsDocument.ReadAsync(new MemoryStream(json), CancellationToken.None))).Message.ShouldBe(expected);
    }

    private static void Same(FactsDocument actual, FactsDocument expected)
    {
        actual.Schema.ShouldBe(expected.Schema);
        actual.GeneratedAt.ShouldBe(expected.GeneratedAt);
        actual.Devices.Count.ShouldBe(expected.Devices.Count);
        for (var i = 0; i < expected.Devices.Count; i++)
        {
            var (a, e) = (actual.Devices[i], expected.Devices[i]);
            a.Id.ShouldBe(e.Id);
            a.Status.ShouldBe(e.Status);
            a.DeviceType.ShouldBe(e.DeviceType);
            a.ArtifactName.ShouldBe(e.ArtifactName);
            a.Identity.ShouldBe(e.Identity, ignoreOrder: true);
            a.Tags.ShouldBe(e.Tags, ignoreOrder: true);
            a.Attributes.ShouldBe(e.Attributes, ignoreOrder: true);
            (a.ReportedConfiguration ?? DeviceFacts.EmptyMap).ShouldBe(e.ReportedConfiguration ?? DeviceFacts.EmptyMap, ignoreOrder: true);
            (a.ReportedConfiguration is null).ShouldBe(e.ReportedConfiguration is null);
            (a.ConfiguredConfiguration ?? DeviceFacts.EmptyMap).ShouldBe(e.ConfiguredConfiguration ?? DeviceFacts.EmptyMap, ignoreOrder: true);
            a.LastCheckIn.ShouldBe(e.LastCheckIn);
            a.InFlight.ShouldBe(e.InFlight);
        }
    }

    /// <summary>A facts document with everything a writer may do; the same seed gives the same bytes.</summary>
    private static byte[] Document(int devices, bool indented, int seed)
    {
        var random = new Random(seed);
        var output = new MemoryStream();
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = indented }))
        {
            writer.WriteStartObject();
            writer.WriteString("note", "devices"); // a top-level string that reads "devices" is not the key
            writer.WriteStartObject("extra");
            writer.WriteStartArray("devices"); // nor is a nested "devices" list
            writer.WriteStringValue("}]{[");
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteString("schema", FactsDocument.CurrentSchema);
            writer.WriteStartArray("devices");
            for (var i = 0; i < devices; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("id", $"{i:x8}-0000-4000-8000-{i:x12}");
                if (random.Next(10) > 0)
                {
                    writer.WriteString("status", random.Next(20) == 0 ? "pending" : "accepted");
                }

                writer.WriteString("device_type", $"type-{random.Next(4)}");
                writer.WriteString("artifact_name", random.Next(5) == 0 ? null : $"image \"{random.Next(3)}\" \\ {{[");
                Map(writer, "identity", ("mac", $"02:00:{i:x8}"));
                Map(writer, "tags", ("site", $"site-{random.Next(40)}"), ("ring", random.Next(2) == 0 ? "canary" : "production"));
                writer.WriteStartObject("unknown_future_field");
                writer.WriteStartArray("nested");
                writer.WriteStartObject();
                writer.WriteString("x", "}}]]{{");
                writer.WriteEndObject();
                writer.WriteEndArray();
                writer.WriteEndObject();
                Map(writer, "attributes",
                    ("rootfs-image.version", $"image-{random.Next(3)}"),
                    ("uptime_seconds", random.Next().ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("hostname", $"h\u00e9te-{i}\u2603"),
                    ("escaped", "tab\there\nnew line \u0001 \"quoted\" /slash/"));
                if (random.Next(3) > 0)
                {
                    Map(writer, "reported_configuration", ("kiosk.url", $"https://example.com/{random.Next(10)}"), ("expected_os_image", $"image-{random.Next(3)}"));
                }
                else if (random.Next(2) == 0)
                {
                    writer.WriteNull("reported_configuration");
                }

                Map(writer, "configured_configuration", ("kiosk.url", "https://example.com/x"));
                writer.WriteString("last_check_in", new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(random.Next(100_000)));
                writer.WriteStartArray("in_flight");
                if (random.Next(10) == 0)
                {
                    writer.WriteStartObject();
                    writer.WriteString("deployment_id", $"dep-{i}");
                    writer.WriteString("kind", random.Next(2) == 0 ? "os" : "configuration");
                    writer.WriteString("artifact_name", "image-2");
                    writer.WriteString("status", "downloading");
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("generated_at", new DateTimeOffset(2027, 1, 2, 3, 4, 5, TimeSpan.Zero));
            writer.WriteEndObject();
        }

        var text = Encoding.UTF8.GetString(output.ToArray());
        // Comments between and inside devices, with brackets in them.
        text = text.Replace("\"devices\":[", "\"devices\":[ /* { [ */", StringComparison.Ordinal)
            .Replace("\"devices\": [", "\"devices\": [ // ] }\n", StringComparison.Ordinal)
            .Replace("\"unknown_future_field\"", "/* } */ \"unknown_future_field\"", StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text);
    }

    private static void Map(Utf8JsonWriter writer, string name, params (string Key, string Value)[] entries)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in entries)
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }

    /// <summary>Returns a few bytes per read, so every token is cut somewhere.</summary>
    private sealed class TrickleStream(byte[] bytes, int seed) : Stream
    {
        private readonly Random random = new(seed);
        private int position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => bytes.Length;

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, random.Next(1, 8)), bytes.Length - position);
            Array.Copy(bytes, position, buffer, offset, n);
            position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
