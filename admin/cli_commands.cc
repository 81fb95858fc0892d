#include "admin/cli_commands.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "admin/cli_format.h"
#include "admin/download_stopwatch.h"
#include "common/names.h"
#include "common/sha256.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace pytorrent::admin {

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  if (status.code() == absl::StatusCode::kUnavailable &&
      absl::StartsWith(status.message(), "cannot reach the node")) {
    return kExitUnreachable;
  }
  return kExitFailed;
}

std::string ToJson(const google::protobuf::Message& message) {
  // Deterministic serialization sorts map keys, so the JSON is stable.
  std::string binary;
  {
    google::protobuf::io::StringOutputStream stream(&binary);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!message.SerializeToCodedStream(&coded)) return "{}";
  }
  static google::protobuf::util::TypeResolver* const resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "type.googleapis.com", google::protobuf::DescriptorPool::generated_pool());
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  const auto status = google::protobuf::util::BinaryToJsonString(
      resolver, "type.googleapis.com/" + message.GetDescriptor()->full_name(), binary, &json,
      options);
  return status.ok() ? json : "{}";
}

int CliCommands::Fail(const absl::Status& status) {
  err_ << "cli: " << SanitizeForTerminal(std::string(status.message())) << "\n";
  err_.flush();
  return ExitCodeFor(status);
}

int CliCommands::Status() {
  absl::StatusOr<v1::PeerStatus> status = client_.GetStatus();
  if (!status.ok()) return Fail(status.status());
  out_ << (options_.json ? ToJson(*status) + "\n" : FormatStatus(*status));
  return kExitOk;
}

int CliCommands::Peers() {
  absl::StatusOr<v1::ListPeersResponse> peers = client_.ListPeers();
  if (!peers.ok()) return Fail(peers.status());
  out_ << (options_.json ? ToJson(*peers) + "\n" : FormatPeers(*peers));
  return kExitOk;
}

int CliCommands::Files() {
  absl::StatusOr<v1::ListSharedFilesResponse> files = client_.ListSharedFiles();
  if (!files.ok()) return Fail(files.status());
  out_ << (options_.json ? ToJson(*files) + "\n" : FormatSharedFiles(*files));
  return kExitOk;
}

int CliCommands::Search(const std::string& text) {
  absl::StatusOr<v1::SearchFilesResponse> files = client_.SearchFiles(text);
  if (!files.ok()) return Fail(files.status());
  out_ << (options_.json ? ToJson(*files) + "\n" : FormatSearchResults(*files, false));
  return kExitOk;
}

int CliCommands::Download(const std::string& name_or_root, bool wait, bool overwrite) {
  v1::StartDownloadRequest request;
  Sha256Digest root;
  if (name_or_root.size() == 64 && DigestFromHex(name_or_root, root)) {
    request.set_root_hash(DigestToBytes(root));
  } else {
    request.set_name(name_or_root);
  }
  request.set_overwrite(overwrite);
  DownloadStopwatch stopwatch(clock_);
  absl::StatusOr<uint64_t> id = client_.StartDownload(request);
  if (!id.ok()) return Fail(id.status());
  if (!wait) {
    if (options_.json) {
      v1::StartDownloadResponse response;
      response.set_download_id(*id);
      out_ << ToJson(response) << "\n";
    } else {
      out_ << "download " << *id << " started: " << SanitizeForTerminal(name_or_root) << "\n";
    }
    return kExitOk;
  }
  const bool live = !options_.json && term_ != nullptr && term_->effects();
  absl::StatusOr<v1::DownloadProgress> last =
      client_.WatchDownload(*id, 0, [&](const v1::DownloadProgress& p) {
        stopwatch.Observe(p);
        if (live) {
          const std::string name = SanitizeForTerminal(p.name()) + " ";
          const int prefix = static_cast<int>(DisplayWidth(name));
          const int width = ProgressBarWidth(term_->Columns(), prefix);
          term_->ShowProgress(name +
                              (p.state() == v1::DOWNLOAD_STATE_COMPLETED
                                   ? RenderFinishedBar(ViewOf(p), stopwatch.Finish(p), width)
                                   : RenderProgressBar(ViewOf(p), width)) +
                              WaitingLine(p));
        }
      });
  if (live) term_->EndProgress();
  if (!last.ok()) return Fail(last.status());
  out_ << (options_.json ? ToJson(*last) + "\n" : FormatDownloadResult(*last));
  return last->state() == v1::DOWNLOAD_STATE_COMPLETED ? kExitOk : kExitFailed;
}

int CliCommands::Downloads() {
  absl::StatusOr<v1::ListDownloadsResponse> downloads = client_.ListDownloads();
  if (!downloads.ok()) return Fail(downloads.status());
  out_ << (options_.json ? ToJson(*downloads) + "\n" : FormatDownloads(*downloads));
  return kExitOk;
}

int CliCommands::Share(const std::string& path) {
  std::string full = path;
  if (absl::StartsWith(client_.target(), "unix:") && !path.empty() && path.front() != '/') {
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(path, ec);
    if (!ec) full = abs.lexically_normal().string();
  }
  absl::StatusOr<v1::SharedFile> file = client_.ShareFile(full);
  if (!file.ok()) return Fail(file.status());
  if (options_.json) {
    v1::ShareFileResponse response;
    *response.mutable_file() = *file;
    out_ << ToJson(response) << "\n";
  } else {
    out_ << "sharing " << SanitizeForTerminal(file->name()) << " ("
         << FormatBytes(file->size_bytes()) << ", root " << ShortHex(file->root_hash()) << ")\n";
  }
  return kExitOk;
}

int CliCommands::Rename(const std::string& new_username) {
  // Checked here too, so a typo gets an answer without a round trip.
  if (absl::Status s = ValidateUsername(new_username); !s.ok()) return Fail(s);
  if (absl::Status s = client_.ChangeUsername(new_username); !s.ok()) return Fail(s);
  if (options_.json) {
    out_ << ToJson(v1::ChangeUsernameResponse()) << "\n";
  } else {
    out_ << "username is now " << new_username << "\n";
  }
  return kExitOk;
}

int CliCommands::Disconnect() {
  if (absl::Status s = client_.Disconnect(); !s.ok()) return Fail(s);
  if (options_.json) {
    out_ << ToJson(v1::DisconnectResponse()) << "\n";
  } else {
    out_ << "disconnected: the node left the tracker and is shutting down\n";
  }
  return kExitOk;
}

int CliCommands::Cancel(uint64_t download_id) {
  if (absl::Status s = client_.CancelDownload(download_id); !s.ok()) return Fail(s);
  if (options_.json) {
    out_ << ToJson(v1::CancelDownloadResponse()) << "\n";
  } else {
    out_ << "cancelled download " << download_id << "\n";
  }
  return kExitOk;
}

int CliCommands::TrackerStats() {
  absl::StatusOr<v1::TrackerStats> stats = client_.GetTrackerStats();
  if (!stats.ok()) return Fail(stats.status());
  out_ << (options_.json ? ToJson(*stats) + "\n" : FormatTrackerStats(*stats));
  return kExitOk;
}

int CliCommands::TrackerSwarms() {
  absl::StatusOr<v1::ListSwarmsResponse> swarms = client_.ListSwarms();
  if (!swarms.ok()) return Fail(swarms.status());
  out_ << (options_.json ? ToJson(*swarms) + "\n" : FormatSwarms(*swarms));
  return kExitOk;
}

int CliCommands::TrackerPeers() {
  absl::StatusOr<v1::ListTrackerPeersResponse> peers = client_.ListTrackerPeers();
  if (!peers.ok()) return Fail(peers.status());
  out_ << (options_.json ? ToJson(*peers) + "\n" : FormatTrackerPeers(*peers));
  return kExitOk;
}

int CliCommands::TrackerEvict(const std::string& peer_id) {
  uint64_t id = 0;
  if (peer_id.empty() || peer_id.size() > 16 ||
      !absl::SimpleHexAtoi(absl::string_view(peer_id.data(), peer_id.size()), &id) || id == 0) {
    return Fail(absl::InvalidArgumentError(
        "PEER_ID must be the 16 hex digits shown by `cli tracker peers`"));
  }
  if (absl::Status s = client_.EvictPeer(id); !s.ok()) return Fail(s);
  if (options_.json) {
    out_ << ToJson(v1::EvictPeerResponse()) << "\n";
  } else {
    out_ << "evicted peer " << SanitizeForTerminal(peer_id) << "\n";
  }
  return kExitOk;
}

}  // namespace pytorrent::admin
