// The devices are real mender-client daemons in Linux mount namespaces.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
