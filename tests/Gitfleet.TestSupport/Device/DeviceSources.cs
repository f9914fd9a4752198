namespace Gitfleet.TestSupport.Device;

/// <summary>Paths of the device parts in the source tree (the tests run them from there, as Mender would).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class DeviceSources
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string DeviceDirectory => Path.Combine(RepositoryRoot, "device");

    /// <summary>The Python package the scripts import (installed to dist-packages on a device).</summary>
    public static string Library => Path.Combine(DeviceDirectory, "lib");

    public static string Module(string name) => Path.Combine(DeviceDirectory, "modules", name);

    public static string Hook(string name) => Path.Combine(DeviceDirectory, "hooks", name);

    public static string InventoryScript(string name) => Path.Combine(DeviceDirectory, "inventory", name);

    public static string Tool(string name) => Path.Combine(DeviceDirectory, "tools", name);

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Gitfleet.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Gitfleet.slnx above {AppContext.BaseDirectory}");
    }
}
