using System.Text;
using Gitfleet.Server.Api;
using Gitfleet.Server.Api.Device;
using Shouldly;

namespace Gitfleet.Server.Tests.Inventory;

/// <summary>
/// A device's inventory body, read by <see cref="InventoryBody"/> in one pass, must give what the serializer's path
/// (<see cref="JsonBody.Parse{T}"/> of <see cref="NameValue"/> items, then <see cref="DeviceInventoryEndpoints.ToAttributes"/>,
/// which the management API's tags still use) gives: the same attributes for every body it accepts, a 400 for every
/// body it refuses, with the same message where the message is Gitfleet's own.
/// </summary>
public sealed class InventoryBodyTests
{
    public static TheoryData<string> Bodies() =>
    [
        """[{"name":"device_type","value":"raspberrypi4"},{"name":"rootfs-image.version","value":"2026-02-01-a"}]""",
        """[{"name":"ipv4_eth0","value":["10.0.0.7/24","fe80::1/64"]},{"name":"ipv4_eth0","value":"192.168.1.2/24"}]""",
        """[{"value":"first","name":"x"},{"name":"n","value":12.50},{"name":"b","value":true},{"name":"f","value":false}]""",
        """[{"name":"n","value":-1e+10},{"name":"big","value":123456789012345678901234567890}]""",
        """[{"name":"nested","value":[["a","b"],[],"c",1,null,{"k": [1, 2]}]}]""",
        """[{"name":"empty","value":[]},{"name":"other","value":""}]""",
        """[{"name":"esc\u0061ped","value":"line\nbreak \"quoted\" \u00e9 ✓ Gerät"}]""",
        """[{"n\u0061me":"escaped-name","v\u0061lue":"v"}]""",
        """[{"name":"extra","value":"v","other":{"deep":[1,{"x":null}]},"more":null}]""",
        """[{"name":"dup","value":"1","value":"2"}]""",
        """[{"name":"a","name":"b","value":"v"}]""",
        """[{"Name":"capital","value":"v"}]""",
        """  [ { "name" : "spaced" , "value" : [ 1 , "two" ] } ]  """,
        """[]""",
        """null""",
        """[null]""",
        """[{"name":"ok","value":"v"},null]""",
        """[{"name":"","value":"v"}]""",
        """[{"name":"   ","value":"v"}]""",
        """[{"name":null,"value":"v"}]""",
        """[{"value":"v"}]""",
        """[{"name":"x"}]""",
        """[{"name":"x","value":null}]""",
        """[{"name":"x","value":{"an":"object"}}]""",
        """[{"name":"x","value":"v"},{"name":"y","value":{}}]""",
        "[{\"name\":\"" + new string('n', 256) + "\",\"value\":\"v\"}]",
        "[{\"name\":\"" + new string('n', 257) + "\",\"value\":\"v\"}]",
        "[" + string.Join(',', Enumerable.Range(0, 1000).Select(i => $"{{\"name\":\"a{i}\",\"value\":\"{i}\"}}")) + "]",
        "[" + string.Join(',', Enumerable.Range(0, 1001).Select(i => $"{{\"name\":\"a{i}\",\"value\":\"{i}\"}}")) + "]",
        "[" + string.Join(',', Enumerable.Repeat("null", 1001)) + "]",
        """[{"name":"x","value":"v"},null,{"name":"y","value":"w"}""",
        """{"name":"x","value":"v"}""",
        """"a string"""",
        """[1]""",
        """[["name","x"]]""",
        """[{"name":1,"value":"v"}]""",
        """[{"name":["x"],"value":"v"}]""",
        """[{"name":"x","value":"v"},]""",
        """[{"name":"x","value":"v",}]""",
        """[{"name":"x","value":"v"}] []""",
        """[{"name":"x","value":"v"}] x""",
        """null null""",
        """[{"name":"x","value":"v"}] // comment""",
        """[{"name":"x","value":01}]""",
        """[{"name":"x","value":'v'}]""",
        """   """,
        """[{"name":"x","value":""" + new string('[', 40) + new string(']', 40) + "}]",
        """[{"name":"x","value":""" + new string('[', 29) + new string(']', 29) + "}]",
        """[{"name":"x","value":""" + new string('[', 30) + new string(']', 30) + "}]",
        """[{"name":"x","value":""" + new string('[', 31) + new string(']', 31) + "}]",
    ];

    [Theory]
    [MemberData(nameof(Bodies))]
    public void ReadsEveryBodyAsTheSerializersPathDoes(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var expected = Outcome(() => DeviceInventoryEndpoints.ToAttributes(JsonBody.Parse<List<NameValue>>(bytes)));
        var actual = Outcome(() => InventoryBody.Parse(bytes));
        actual.ShouldBe(expected);
    }

    [Fact]
    public void RefusesAnEmptyBody()
    {
        Should.Throw<ApiException>(() => InventoryBody.Parse(ReadOnlyMemory<byte>.Empty)).StatusCode.ShouldBe(400);
    }

    /// <summary>The attributes as text, or the refusal: its status, and its message unless it is the JSON reader's own wording.</summary>
    private static string Outcome(Func<List<KeyValuePair<string, IReadOnlyList<string>>>> parse)
    {
        try
        {
            return string.Join("\n", parse().Select(a => a.Key + " = [" + string.Join("|", a.Value) + "]"));
        }
        catch (ApiException e)
        {
            return e.StatusCode + (e.Message.StartsWith("malformed JSON", StringComparison.Ordinal) ? " malformed JSON" : " " + e.Message);
        }
    }
}
