using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Resolution;
using Gitfleet.Core.Templates;
using Gitfleet.TestSupport;

namespace Gitfleet.Core.Tests.Planning;

/// <summary>
/// A template that reads the device id only as text is rendered once and the id put in
/// (<see cref="IdentitySubstitution"/>): every device's configuration must be exactly what rendering it gives. The
/// reference renders each device: the same template with a block on the id, which always renders per device.
/// </summary>
public sealed class IdentitySubstitutionTests
{
    private const string Inventory = """
        all:
          children:
            field:
              selector: {matchLabels: {tags.site: field}}
              vars: {subscribed_branch: production}
        """;

    /// <summary>Always true for a device, but a block on the id: the template renders per device.</summary>
    private const string ForcePerDevice = "{{#if gitfleet.device_id}}{{/if}}";

    private static readonly string[] Ids =
    [
        "00000000-0000-4000-8000-000000000000",
        "00000001-0000-4000-8000-000000000001",
        "a\"quote",
        "back\\slash",
        "tab\there",
        "caf\u00e9",
        "contains-s3cr3t-inside",
        "ZIaaaa-looks-like-a-stand-in",
        new string('x', 200),
        "{{gitfleet.device_id}}",
    ];

    public static TheoryData<string> Templates => new()
    {
        """{"client_id": "{{gitfleet.device_id}}", "host": "{{{gitfleet.host}}}", "mix": "pre-{{gitfleet.device_id}}-{{gitfleet.host}}-{{site}}", "site": "{{site}}"}""",
        """{"mqtt": {"client_id": "{{gitfleet.device_id}}", "port": {{port}} }, "list": ["{{gitfleet.device_id}}", "{{site}}"], "image": "{{gitfleet.image}}"}""",
        """{"token": "{{env "TOKEN"}}", "tid": "{{env "TOKEN"}}/{{gitfleet.device_id}}", "id": "{{~ gitfleet.device_id ~}}"}""",
        """{"{{gitfleet.device_id}}": "the id as a key"}""",
        """{"number": {{gitfleet.device_id}} }""",
        """{"escape": "\{{gitfleet.device_id}}"}""",
        """{"missing": "{{env "UNSET"}}", "id": "{{gitfleet.device_id}}"}""",
    };

    [Theory]
    [MemberData(nameof(Templates))]
    public void Every_device_gets_what_rendering_it_gives(string template)
    {
        var substituted = Plan(template);
        var rendered = Plan(ForcePerDevice + template);

        substituted.Count.ShouldBe(Ids.Length);
        foreach (var (key, device) in substituted)
        {
            var reference = rendered[key];
            device.Problems.Select(p => p.Message).ShouldBe(reference.Problems.Select(p => p.Message), key);
            if (reference.Configuration.Desired is { } expected)
            {
                var actual = device.Configuration.Desired.ShouldNotBeNull(key);
                actual.Values.ToList().ShouldBe(expected.Values.ToList(), key);
                actual.SecretKeys.Order(StringComparer.Ordinal).ShouldBe(expected.SecretKeys.Order(StringComparer.Ordinal), key);
                actual.Checksum.ShouldBe(expected.Checksum, key);
            }
            else
            {
                device.Configuration.Desired.ShouldBeNull(key);
            }
        }
    }

    [Fact]
    public void A_device_id_read_as_text_is_put_in_and_the_secret_found_where_it_shows()
    {
        var plan = Plan("""{"client_id": "{{gitfleet.device_id}}", "token": "{{env "TOKEN"}}"}""");

        plan[Ids[0]].Configuration.Desired!.Values["client_id"].ShouldBe(Ids[0]);
        plan[Ids[1]].Configuration.Desired!.Values["client_id"].ShouldBe(Ids[1]);
        plan[Ids[0]].Configuration.Desired!.SecretKeys.ShouldBe(["token"]);
        plan["contains-s3cr3t-inside"].Configuration.Desired!.SecretKeys.Order(StringComparer.Ordinal).ShouldBe(["client_id", "token"]);
    }

    [Theory]
    [InlineData("""{"a": "{{gitfleet.device_id}}", "b": "{{gitfleet.host}}", "c": "{{gitfleet.image}} {{gitfleet.device_type}} {{site}}"}""", true)]
    [InlineData("""{"a": "{{{gitfleet.device_id}}}", "b": "{{~gitfleet.host~}}"}""", true)]
    [InlineData("""{"a": "{{#if gitfleet.device_id}}x{{/if}}"}""", false)]
    [InlineData("""{"a": "{{lookup sites gitfleet.device_id}}"}""", false)]
    [InlineData("""{"a": {{json gitfleet}}}""", false)]
    [InlineData("""{"a": "{{#with gitfleet}}{{device_id}}{{/with}}"}""", false)]
    [InlineData("""{"a": "{{gitfleet.device_id.length}}"}""", false)]
    [InlineData("""{"a": "{{this}}", "b": "{{gitfleet.device_id}}"}""", false)]
    [InlineData("""{"a": "{{site}}"}""", false)]
    public void Only_a_template_that_reads_the_id_and_host_as_plain_text_is_substituted(string template, bool applies)
    {
        IdentitySubstitution.Applies(template, TemplateReferenceScanner.Inputs(template)).ShouldBe(applies);
    }

    private static Dictionary<string, DevicePlan> Plan(string template)
    {
        var revision = Snapshots.Valid(
            ("inventory.yml", Inventory),
            ("group_vars/all.yml", """
                os_image: [{device_type: pi4, image_name: pi4-v2}]
                site: field-1
                port: 1883
                configuration: {template: device.json}
                """),
            ("templates/device.json", template));
        var facts = Ids.Select(id => new DeviceFacts
        {
            Id = id,
            DeviceType = "pi4",
            ArtifactName = "pi4-v2",
            Tags = new Dictionary<string, string> { ["site"] = "field" },
        }).ToArray();
        return Planner.Plan(new PlanRequest { Branch = "production", Revision = revision, Facts = facts, Secrets = n => n == "TOKEN" ? "s3cr3t" : null })
            .Devices.ToDictionary(d => d.Key, StringComparer.Ordinal);
    }
}
