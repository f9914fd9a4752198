using System.Text;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Facts.Reading;

namespace Gitfleet.Core.Tests.Facts;

/// <summary>
/// The fast path through maps as the facts endpoint writes them: it takes only objects of plain strings and stops at
/// anything else, so that the checking reader reads those again and finds their problems where it always did.
/// </summary>
public sealed class PlainObjectTests
{
    [Theory]
    [InlineData("""{"a":"1","b.c":"x y","café":"€"}""", 3)]
    [InlineData("""{"a":""}""", 1)]
    [InlineData("""{}""", 0)]
    public void Walks_an_object_of_plain_strings_to_its_end(string json, int members)
    {
        var bytes = Encoding.UTF8.GetBytes(json + "tail");
        var read = new List<(string, string)>();
        var plain = new PlainObject(bytes, 0);
        while (plain.Next(out var name, out var value))
        {
            read.Add((Encoding.UTF8.GetString(name), Encoding.UTF8.GetString(value)));
        }

        plain.Ended.ShouldBeTrue();
        plain.End.ShouldBe(Encoding.UTF8.GetByteCount(json));
        read.Count.ShouldBe(members);
        if (members == 3)
        {
            read.ShouldBe([("a", "1"), ("b.c", "x y"), ("café", "€")]);
        }
    }

    [Theory]
    [InlineData("""{ "a":"1"}""")]
    [InlineData("""{"a" :"1"}""")]
    [InlineData("""{"a":"1" }""")]
    [InlineData("""{"a":"1",}""")]
    [InlineData("""{"a":"1", "b":"2"}""")]
    [InlineData("""{"a":1}""")]
    [InlineData("""{"a":true}""")]
    [InlineData("""{"a":null}""")]
    [InlineData("""{"a":{"b":"c"}}""")]
    [InlineData("""{"a":"x\"y"}""")]
    [InlineData("""{"a\u0062":"1"}""")]
    [InlineData("""{"a":"1"/*c*/}""")]
    [InlineData("""{"a":"1""")]
    [InlineData("""{"a":"1}""")]
    [InlineData("""{"a""")]
    [InlineData("""{""")]
    [InlineData("""["a"]""")]
    [InlineData("\"a\"")]
    public void Stops_at_anything_else(string json)
    {
        var plain = new PlainObject(Encoding.UTF8.GetBytes(json), 0);
        plain.SkipToEnd().ShouldBeFalse();
        plain.Ended.ShouldBeFalse();
    }

    [Fact]
    public void Stops_at_a_control_character_in_a_string()
    {
        var plain = new PlainObject("{\"a\":\"x\ty\"}"u8.ToArray(), 0);
        plain.SkipToEnd().ShouldBeFalse();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Maps_read_the_same_plain_or_not(bool keepConfigured)
    {
        var projection = new FactsProjection { Attributes = new HashSet<string> { "k", "n" }, ConfiguredConfiguration = keepConfigured };
        var plain = Read("""{"id":"d","attributes":{"x":"0","k":"v","n":"7"},"configured_configuration":{"a":"1","b":"2"},"tags":{}}""", projection);
        foreach (var other in new[]
        {
            """{"id":"d","attributes":{ "x":"0","k":"v","n":7},"configured_configuration":{"a":"1","b":"2",},"tags":{ }}""",
            """{"id":"d","attributes":{"x":"0","k":"\u0076","n":"7"},"configured_configuration":{"a" : "1","b":"\u0032"},"tags":{}}""",
        })
        {
            var read = Read(other, projection);
            read.Attributes.ShouldBe(plain.Attributes, ignoreOrder: true);
            read.Tags.ShouldBe(plain.Tags);
            (read.ConfiguredConfiguration ?? DeviceFacts.EmptyMap).ShouldBe(plain.ConfiguredConfiguration ?? DeviceFacts.EmptyMap, ignoreOrder: true);
        }

        plain.Attributes.ShouldBe(new Dictionary<string, string> { ["k"] = "v", ["n"] = "7" }, ignoreOrder: true);
        (plain.ConfiguredConfiguration is null).ShouldBe(!keepConfigured);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_problem_in_a_map_is_found_where_the_checking_reader_finds_it(bool keepConfigured)
    {
        var projection = new FactsProjection { Attributes = new HashSet<string>(), ConfiguredConfiguration = keepConfigured };
        var json = "{\"schema\":\"gitfleet.facts/v1\",\"devices\":[{\"id\":\"a\"},\n{\"id\":\"b\",\"configured_configuration\":{\"k\":\"v\",\"w\":\"x\u0001\"}}]}";

        Should.Throw<FactsFormatException>(() => FactsDocument.Parse(Encoding.UTF8.GetBytes(json), projection))
            .Message.ShouldBe("line 2, position 53: control characters must be escaped in a string");
    }

    private static DeviceFacts Read(string json, FactsProjection projection)
    {
        var cursor = new JsonCursor(Encoding.UTF8.GetBytes(json), default);
        return new DeviceParser(projection).Parse(ref cursor, 0);
    }
}
