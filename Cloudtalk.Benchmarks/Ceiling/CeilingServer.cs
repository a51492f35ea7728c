using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cloudtalk.Benchmarks.Ceiling;

/// <summary>
/// The ceiling: a minimal Kestrel endpoint that answers a constant product JSON. Nothing an implementation
/// of the Api does can be faster on the same machine, so every figure is also given as a share of this one.
/// </summary>
public sealed class CeilingServer : IAsyncDisposable
{
    private const string ProductJson =
        """{"id":1,"name":"Desk lamp","description":"Warm light","price":39.9,"averageRating":4.5,"reviewCount":2,"createdAt":"2026-11-24T10:00:00Z","updatedAt":"2026-11-24T10:05:00Z"}""";

    private readonly WebApplication _app;

    private CeilingServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<CeilingServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var body = System.Text.Encoding.UTF8.GetBytes(ProductJson);
        app.MapGet("/api/products/{id:long}", (long id) => Results.Bytes(body, "application/json"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new CeilingServer(app, new Uri(address));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
