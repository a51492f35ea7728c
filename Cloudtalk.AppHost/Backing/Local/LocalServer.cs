using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Cloudtalk.AppHost.Backing.Local;

/// <summary>What the local servers have in common: free ports, generated passwords, the run marker.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class LocalServer
{
    public const string Host = "127.0.0.1";

    /// <summary>A port the kernel has just handed out as free on loopback.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A password for this run: letters and digits only, so it is safe in URIs and config files.</summary>
    public static string NewPassword() =>
        RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 24);

    public static bool RunningAsRoot => Environment.UserName == "root";

    /// <summary>Marks a server (and, through inheritance, its children) as belonging to this run.</summary>
    public static IResourceBuilder<ExecutableResource> InRun(
        this IResourceBuilder<ExecutableResource> server, LocalStateFolder state) =>
        server.WithEnvironment(LocalStateFolder.MarkerVariable, state.Path)
            .ExcludeFromManifest();

    /// <summary>A loopback TCP endpoint on a fixed port, not proxied: the server itself listens there.</summary>
    public static IResourceBuilder<ExecutableResource> WithLoopbackEndpoint(
        this IResourceBuilder<ExecutableResource> server, string name, int port) =>
        server.WithEndpoint(name: name, scheme: "tcp", port: port, targetPort: port, isProxied: false);

    /// <summary>Writes a file only the current user can read (it holds a password).</summary>
    public static void WritePrivateFile(string path, string content)
    {
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Finds a server binary, or explains what to install.</summary>
    public static string RequireBinary(string package, params string[] candidates) =>
        candidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(
            $"Local backing mode needs the Debian package '{package}' (looked for {string.Join(", ", candidates)}). " +
            "Run ./run.sh, which installs it, or start the AppHost with --backing containers where Docker runs.");
}
