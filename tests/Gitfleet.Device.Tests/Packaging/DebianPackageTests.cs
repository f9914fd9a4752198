using Gitfleet.Device.Tests.Support;
using Gitfleet.Git;
using Gitfleet.TestSupport;

namespace Gitfleet.Device.Tests.Packaging;

/// <summary>device/build-deb.sh and device/install.sh produce the documented layout.</summary>
public sealed class DebianPackageTests : IDisposable
{
    private static readonly string[] ExpectedFiles =
    [
        "./usr/share/mender/modules/v3/mender-configure",
        "./usr/share/mender/modules/v3/gitfleet-ab",
        "./usr/share/mender/inventory/mender-inventory-gitfleet",
        "./usr/share/mender/inventory/mender-inventory-mender-configure",
        "./usr/share/mender/inventory/mender-inventory-provides",
        "./usr/lib/mender-configure/apply-device-config.d/50-gitfleet-playbook",
        "./usr/lib/python3/dist-packages/gitfleet_device/__init__.py",
        "./usr/lib/python3/dist-packages/gitfleet_device/configuration.py",
        "./usr/lib/python3/dist-packages/gitfleet_device/osimage.py",
        "./usr/bin/gitfleet-make-os-artifact",
        "./lib/systemd/system/gitfleet-apply-device-config.service",
        "./etc/gitfleet-ab/health-check.d/",
        "./var/lib/mender-configure/",
        "./usr/share/gitfleet-playbooks/",
    ];

    private readonly TempDirectory directory = new("gitfleet-deb");

    [Fact]
    public async Task Build_deb_produces_the_package_with_the_layout_and_dependencies()
    {
        var build = await ProcessRunner.RunAsync(Path.Combine(DeviceSources.DeviceDirectory, "build-deb.sh"),
            ["--version", "9.8.7", "--output-dir", directory.Path]);
        build.ExitCode.ShouldBe(0, build.StandardError);
        var deb = build.StandardOutput.Trim();
        deb.ShouldBe(directory.Combine("gitfleet-device_9.8.7_all.deb"));

        var contents = await RunAsync("dpkg-deb", "-c", deb);
        var listed = contents.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ').Last()).ToHashSet();
        foreach (var file in ExpectedFiles)
        {
            listed.ShouldContain(file);
        }

        contents.ShouldContain("-rwxr-xr-x root/root"); // executables stay executable, owned by root
        (await RunAsync("dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends", "Recommends")).ShouldBe("""
            Package: gitfleet-device
            Version: 9.8.7
            Architecture: all
            Depends: mender-client, python3 (>= 3.10), curl, dbus
            Recommends: git, ansible-core, xdelta3

            """);
        await RunAsync("dpkg-deb", "-x", deb, directory.Combine("unpacked"));
        File.ReadAllText(directory.Combine("unpacked", "usr/lib/python3/dist-packages/gitfleet_device/__init__.py"))
            .ShouldContain("VERSION = \"9.8.7\"");
    }

    [Fact]
    public async Task The_installed_layout_runs_from_dist_packages()
    {
        var root = directory.Combine("root");
        var install = await ProcessRunner.RunAsync(Path.Combine(DeviceSources.DeviceDirectory, "install.sh"), [root]);
        install.ExitCode.ShouldBe(0, install.StandardError);

        var module = await ProcessRunner.RunAsync(Path.Combine(root, "usr/share/mender/modules/v3/mender-configure"),
            ["SupportsRollback", directory.Path],
            environment: new Dictionary<string, string?> { ["PYTHONPATH"] = Path.Combine(root, "usr/lib/python3/dist-packages") });

        module.ExitCode.ShouldBe(0, module.StandardError);
        module.StandardOutput.ShouldBe("Yes\n");
        foreach (var file in ExpectedFiles)
        {
            Path.Exists(Path.Combine(root, file)).ShouldBeTrue(file);
        }
    }

    public void Dispose() => directory.Dispose();

    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(program, arguments);
        result.ExitCode.ShouldBe(0, result.StandardError);
        return result.StandardOutput;
    }
}
