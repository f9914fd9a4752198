using System.Text;
using System.Text.RegularExpressions;
using Gitfleet.Cli.Commands;
using Gitfleet.Simulator.Devices;

namespace Gitfleet.Cli.Demo;

/// <summary>
/// The demo's fleet repository: the sample fleet of seed 001, with two changes that make it runnable against
/// simulated devices. The seven devices are declared by identity and public key (admission as code: the server
/// accepts them on their first request) under readable names instead of Mender ids they do not have yet; and a
/// few hundred field devices join their stage through dynamic groups that select on the ring they report.
/// </summary>
internal static partial class DemoFleet
{
    /// <summary>The sample's seven devices: its Mender id, the demo's name, the device type and the stage.</summary>
    public static readonly IReadOnlyList<(string SampleId, string Name, string DeviceType, string? Stage)> Devices =
    [
        ("b8b311de-000e-4914-9a13-1d7e2e23bc5d", "pi4-runner", "pi4-v3-arm64", "production"),
        ("3fb4632b-96b9-475d-ac89-02255bd15b6f", "pi4-kiosk", "pi4-v3-arm64", "main"),
        ("50a28c2e-3ee8-4559-a5b9-3ce47c881c5d", "pi3-central-station", "pi3-arm64", "production"),
        ("f4580afc-7195-4c8b-b35a-e0248e6bd894", "pi3-campus", "pi3-arm64", "canary"),
        ("048312b5-0456-47a7-9e83-b636f4c0a689", "pi2-legacy", "pi2-armhf", "production"),
        ("5ef8c955-4f87-4243-adcd-160f70c3c45e", "imx8-hotspot", "iot-gate-imx8-arm64", "production"),
        ("ed531b64-5108-4f1d-9879-f39f56054078", "nano-devboard", "var-som-mx8m-nano-arm64-v2", null), // its server-side tag decides
    ];

    /// <summary>Stages of the field devices, with the share of them each gets.</summary>
    public static readonly IReadOnlyList<(string Ring, double Share)> Rings = [("main", 0.05), ("canary", 0.15), ("production", 0.80)];

    /// <summary>Field devices of a ring out of <paramref name="fieldDevices"/>.</summary>
    public static int FieldDevicesOf(string ring, int fieldDevices) =>
        (int)Math.Round(fieldDevices * Rings.First(r => r.Ring == ring).Share, MidpointRounding.AwayFromZero);

    /// <summary>How many devices a stage has once all are connected: its named devices and its field devices.</summary>
    public static int DevicesOf(string stage, int fieldDevices) => Devices.Count(d => d.Stage == stage) + FieldDevicesOf(stage, fieldDevices);

    /// <summary>The identity a named device reports (what its mender-device-identity script prints).</summary>
    public static IReadOnlyDictionary<string, string> Identity(string name, int index) => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["mac"] = $"dc:a6:32:00:00:{index + 1:x2}",
        ["serial"] = "demo-" + name,
    };

    /// <summary>The fleet at its first commit: every file path and content.</summary>
    public static IReadOnlyDictionary<string, string> Files()
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, content) in SampleFleet.Files())
        {
            files[path] = content;
        }

        files.Remove("sample-facts.json");
        var inventory = files["inventory.yml"];
        for (var index = 0; index < Devices.Count; index++)
        {
            var (sampleId, name, _, _) = Devices[index];
            inventory = inventory.Replace(sampleId, name, StringComparison.Ordinal);
            var hostVars = files.Remove("host_vars/" + sampleId + ".yml", out var existing) ? existing : "---\n";
            files["host_vars/" + name + ".yml"] = hostVars + Admission(name, index);
        }

        files["inventory.yml"] = inventory.TrimEnd() + FieldGroups;
        files["group_vars/field.yml"] = FieldVariables;
        files["gitfleet.yml"] = Policy;
        files["README.md"] = Readme;
        return files;
    }

    /// <summary>The release the demo walks through: new OS images for every device type, kiosks refresh more often.</summary>
    public static string Release(string allYml) =>
        ReleaseDate().Replace(allYml, "2022-09-01-").Replace("kiosk_refresh_minutes: 60", "kiosk_refresh_minutes: 30", StringComparison.Ordinal);

    /// <summary>The images a file names (image_name lines), in order.</summary>
    public static IReadOnlyList<(string DeviceType, string Image)> Images(string allYml)
    {
        var matches = ImageLine().Matches(allYml);
        return matches.Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
    }

    private static string Admission(string name, int index)
    {
        var identity = Identity(name, index);
        var key = DeviceKeys.PublicKeyPem(DeviceIdentity.IdData(identity)).TrimEnd();
        var text = new StringBuilder();
        text.Append("# Admission as code: the device with this identity and key is accepted on its first request.\n");
        text.Append("identity:\n");
        foreach (var (attribute, value) in identity)
        {
            text.Append($"  {attribute}: \"{value}\"\n");
        }

        text.Append("public_key: |\n");
        foreach (var line in key.Split('\n'))
        {
            text.Append("  ").Append(line).Append('\n');
        }

        return text.ToString();
    }

    private const string FieldGroups = """


    # Field devices: too many to list. Each reports the ring it was provisioned for (an inventory attribute);
    # these dynamic groups put it in its stage. host_vars/<device id>.yml still works for exceptions.
    field:
      children:
        field_main:
          selector:
            matchLabels:
              attributes.ring: main
          vars:
            subscribed_branch: main
        field_canary:
          selector:
            matchLabels:
              attributes.ring: canary
          vars:
            subscribed_branch: canary
        field_production:
          selector:
            matchLabels:
              attributes.ring: production
          vars:
            subscribed_branch: production

""";

    private const string FieldVariables = """
---
# Every field device is a kiosk showing the company's status page.
configuration:
  template: kiosk.json
  parameters:
    kiosk_url: https://status.example.com/field

""";

    private const string Policy = """
# Rollout policy per branch (stage). The file travels with merges, so a promotion carries its policy.
# The demo's soak times are seconds; a real fleet would soak canary and production for hours.
branches:
  main:
    correctDrift: true
  canary:
    rollout:
      failureThreshold: 10%
  production:
    rollout:
      waves: [10%, 50%, 100%]
      maxConcurrent: 100
      failureThreshold: 5%
      retries: 1
      soak: 5s
      offlineTimeout: 10m

""";

    private const string Readme = """
# Gitfleet demo fleet

The sample fleet of "Managing an IoT Fleet with GitOps", made by `gitfleet demo`. The seven devices are declared
by identity and public key in `host_vars/`, so the server admits them on their first request; the field
devices join their stage through the dynamic groups at the end of `inventory.yml`.

Branches are stages: a commit to `main` updates the devices subscribed to main; merging `main` into `canary`,
then `canary` into `production`, promotes the same content.

""";

    [GeneratedRegex(@"2022-07-08-")]
    private static partial Regex ReleaseDate();

    [GeneratedRegex(@"device_type:\s*(\S+)\s*\n\s*image_name:\s*(\S+)")]
    private static partial Regex ImageLine();
}
