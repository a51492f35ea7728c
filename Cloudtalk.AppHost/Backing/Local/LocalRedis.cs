using Microsoft.Extensions.DependencyInjection;

namespace Cloudtalk.AppHost.Backing.Local;

/// <summary>Redis from Debian's redis-server: loopback only, a password, no persistence (it is a cache).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class LocalRedis
{
    public static IResourceBuilder<IResourceWithConnectionString> AddLocalRedis(
        this IDistributedApplicationBuilder builder, LocalStateFolder state)
    {
        var binary = LocalServer.RequireBinary("redis-server", "/usr/bin/redis-server");
        var port = LocalServer.FreePort();
        var password = LocalServer.NewPassword();
        var passwordParameter = builder.AddParameter("cache-password", password, secret: true);

        var folder = state.Combine("redis");
        Directory.CreateDirectory(folder);
        var configFile = Path.Combine(folder, "redis.conf");
        // The password lives in a private config file, not on the command line where ps would show it.
        LocalServer.WritePrivateFile(configFile, $"""
            port {port}
            bind {LocalServer.Host}
            protected-mode yes
            daemonize no
            save ""
            appendonly no
            dir {folder}
            requirepass {password}
            """);

        var server = builder.AddExecutable("redis", binary, folder, configFile)
            .InRun(state)
            .WithLoopbackEndpoint("tcp", port);

        var healthCheck = "redis-connect";
        builder.Services.AddHealthChecks().AddRedis(
            $"{LocalServer.Host}:{port},password={password},connectTimeout=2000,abortConnect=false", name: healthCheck);
        server.WithHealthCheck(healthCheck);

        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return builder.AddConnectionString(BackingServices.CacheName, ReferenceExpression.Create(
                $"{LocalServer.Host}:{portText},password={passwordParameter.Resource}"))
            .WaitFor(server);
    }
}
