using System.Text;
using Gitfleet.TestSupport;

namespace Gitfleet.EndToEnd.Tests.Support;

/// <summary>
/// The fleet repository's files: every device declared by its identity (admission as code) in its stage's group,
/// one OS image per device type, and a kiosk configuration whose playbook comes from a git repository.
/// </summary>
public sealed record FleetFiles
{
    public required IReadOnlyList<LiveDevice> Devices { get; init; }

    /// <summary>Device type → the OS image (artifact name) it should run.</summary>
    public required IReadOnlyDictionary<string, string> Images { get; init; }

    public required string KioskUrl { get; init; }

    public required string PlaybookUrl { get; init; }

    public required string PlaybookVersion { get; init; }

    public void WriteTo(GitTestRepository repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var inventory = new StringBuilder("all:\n  children:\n");
        foreach (var stage in Devices.GroupBy(d => d.Branch))
        {
            inventory.Append($"    {stage.Key}_devices:\n      vars:\n        subscribed_branch: {stage.Key}\n      hosts:\n");
            foreach (var device in stage)
            {
                inventory.Append($"        {device.Name}:\n          device_type: {device.DeviceType}\n          identity:\n            mac: \"{device.Mac}\"\n");
            }
        }

        repository.Write("inventory.yml", inventory.ToString());
        var vars = new StringBuilder("os_image:\n");
        foreach (var (deviceType, image) in Images.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            vars.Append($"  - device_type: {deviceType}\n    image_name: {image}\n");
        }

        vars.Append($"playbook_url: {PlaybookUrl}\nplaybook_version: {PlaybookVersion}\n");
        vars.Append($"configuration:\n  template: kiosk.json\n  parameters:\n    kiosk_url: {KioskUrl}\n");
        repository.Write("group_vars/all.yml", vars.ToString());
        repository.Write("templates/kiosk.json", """
            {
              "playbook_url": "{{playbook_url}}",
              "playbook_version": "{{playbook_version}}",
              "kiosk_url": "{{kiosk_url}}"
            }

            """);
    }

    /// <summary>The kiosk playbook, applied by the device's playbook hook with ansible-playbook --connection=local.</summary>
    public const string KioskPlaybook = """
        - hosts: all
          gather_facts: false
          tasks:
            - name: point the kiosk at the configured URL
              ansible.builtin.copy:
                dest: "{{ lookup('ansible.builtin.env', 'GITFLEET_STATE_DIR') }}/kiosk-url"
                content: "{{ kiosk_url }}\n"

        """;
}
