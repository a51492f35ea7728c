using Cloudtalk.Rating.Infrastructure;
using Cloudtalk.Rating.Reconciliation;
using Cloudtalk.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapRatingRebuildApi();

app.Run();
