using System.Text.Json;
using Gitfleet.Device.Tests.Support;
using Gitfleet.Git;
using Gitfleet.TestSupport;

namespace Gitfleet.Device.Tests.Playbook;

/// <summary>A device sandbox plus a git repository for playbooks, and the way the hook is called.</summary>
internal sealed class PlaybookWorkspace : IDisposable
{
    public const string WriteKioskUrl = """
        - hosts: all
          gather_facts: false
          tasks:
            - name: write the kiosk url from the configuration
              ansible.builtin.copy:
                dest: "{{ kiosk_file }}"
                content: "{{ kiosk_url }} ({{ flavour | default('v1') }})\n"
        """;

    public DeviceSandbox Sandbox { get; } = new();

    public GitTestRepository Repository { get; } = new();

    public string KioskFile => Sandbox.Combine("kiosk-url.txt");

    public Dictionary<string, string> Configuration(string url, string version) => new()
    {
        ["expected_os_image"] = "img-1",
        ["subscribed_branch"] = "main",
        ["playbook_url"] = url,
        ["playbook_version"] = version,
        ["kiosk_url"] = "https://kiosk.example",
        ["kiosk_file"] = KioskFile,
    };

    public async Task<ProcessResult> RunHookAsync(Dictionary<string, string> configuration, IReadOnlyDictionary<string, string?>? extra = null)
    {
        await File.WriteAllTextAsync(Sandbox.ConfigFile, JsonSerializer.Serialize(configuration));
        return await Sandbox.RunAsync(DeviceSources.Hook("50-gitfleet-playbook"), [Sandbox.ConfigFile], extra);
    }

    public void Dispose()
    {
        Repository.Dispose();
        Sandbox.Dispose();
    }
}
