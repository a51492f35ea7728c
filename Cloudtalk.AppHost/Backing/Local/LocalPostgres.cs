using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Cloudtalk.AppHost.Backing.Local;

/// <summary>
/// PostgreSQL from /usr/lib/postgresql/N/bin: <c>initdb</c> once, then <c>postgres</c>, then a <c>psql</c> step that
/// creates both databases. PostgreSQL refuses to run as root, so as root each step runs as the postgres user
/// through <c>setpriv</c>, which execs in place so that signals reach the server.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class LocalPostgres
{
    private const string User = "cloudtalk";
    private const string OsUser = "postgres";

    public static (IResourceBuilder<ExecutableResource> Server, IResourceBuilder<IResourceWithConnectionString> Api,
        IResourceBuilder<IResourceWithConnectionString> Rating)
        AddLocalPostgres(this IDistributedApplicationBuilder builder, LocalStateFolder state)
    {
        var bin = FindBinFolder();
        var port = LocalServer.FreePort();
        var password = LocalServer.NewPassword();
        var passwordParameter = builder.AddParameter("postgres-password", password, secret: true);

        var folder = state.Combine("postgres");
        var dataFolder = Path.Combine(folder, "data");
        var socketFolder = Path.Combine(folder, "run");
        var passwordFile = Path.Combine(folder, "pwfile");
        Directory.CreateDirectory(socketFolder);
        LocalServer.WritePrivateFile(passwordFile, password);
        GiveToServerUser(folder);

        var init = builder.AddServerUserExecutable("postgres-init", Path.Combine(bin, "initdb"), folder,
                "-D", dataFolder, "-U", User, $"--pwfile={passwordFile}", "--auth=scram-sha-256",
                "-E", "UTF8", "--no-locale", "--no-sync")
            .InRun(state);

        var server = builder.AddServerUserExecutable("postgres", Path.Combine(bin, "postgres"), folder,
                "-D", dataFolder, "-k", socketFolder, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-c", $"listen_addresses={LocalServer.Host}", "-c", "max_connections=300")
            .InRun(state)
            .WithLoopbackEndpoint("tcp", port)
            .WaitForCompletion(init);

        var adminConnectionString = ConnectionString(port, password, "postgres");
        var healthCheck = "postgres-connect";
        builder.Services.AddHealthChecks().AddNpgSql(adminConnectionString, name: healthCheck);
        server.WithHealthCheck(healthCheck);

        var databases = builder.AddExecutable("postgres-databases", Path.Combine(bin, "psql"), folder,
                "-h", LocalServer.Host, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-U", User, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
                "-c", "CREATE DATABASE cloudtalk_api", "-c", "CREATE DATABASE cloudtalk_rating")
            .WithEnvironment("PGPASSWORD", passwordParameter)
            .InRun(state)
            .WaitFor(server);

        return (
            server,
            builder.AddDatabaseConnectionString(BackingServices.ApiDatabaseName, port, passwordParameter, "cloudtalk_api", databases),
            builder.AddDatabaseConnectionString(BackingServices.RatingDatabaseName, port, passwordParameter, "cloudtalk_rating", databases));
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddDatabaseConnectionString(
        this IDistributedApplicationBuilder builder, string name, int port,
        IResourceBuilder<ParameterResource> password, string database, IResourceBuilder<ExecutableResource> databases)
    {
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return builder.AddConnectionString(name, ReferenceExpression.Create(
                $"Host={LocalServer.Host};Port={portText};Username={User};Password={password.Resource};Database={database}"))
            .WaitForCompletion(databases);
    }

    private static string ConnectionString(int port, string password, string database) =>
        $"Host={LocalServer.Host};Port={port};Username={User};Password={password};Database={database};Timeout=3";

    /// <summary>As root, run through setpriv as the postgres user; otherwise run the binary directly.</summary>
    private static IResourceBuilder<ExecutableResource> AddServerUserExecutable(
        this IDistributedApplicationBuilder builder, string name, string binary, string workingFolder, params string[] args) =>
        LocalServer.RunningAsRoot
            ? builder.AddExecutable(name, "setpriv", workingFolder,
                ["--reuid=" + OsUser, "--regid=" + OsUser, "--init-groups", binary, .. args])
            : builder.AddExecutable(name, binary, workingFolder, args);

    private static void GiveToServerUser(string folder)
    {
        if (!LocalServer.RunningAsRoot)
        {
            return;
        }

        using var chown = Process.Start("chown", ["-R", $"{OsUser}:{OsUser}", folder]);
        chown.WaitForExit();
        if (chown.ExitCode != 0)
        {
            throw new InvalidOperationException($"Could not hand {folder} to the {OsUser} user (is postgresql installed?).");
        }
    }

    private static string FindBinFolder()
    {
        var versions = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(path => (Path: Path.Combine(path, "bin"), Version: int.TryParse(Path.GetFileName(path), out var v) ? v : 0))
                .Where(candidate => File.Exists(Path.Combine(candidate.Path, "postgres")))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => Path.Combine(candidate.Path, "postgres"))
                .ToArray()
            : [];
        return Path.GetDirectoryName(LocalServer.RequireBinary("postgresql-15", [.. versions, "/usr/lib/postgresql/15/bin/postgres"]))!;
    }
}
