"""Getting the real TGS data: Kaggle's client (faked here: no network), its errors, unpacking, counts."""

import shutil
import sys
import types
import zipfile

import numpy as np
import pytest

import sprint19_unet as s19
from sprint19_unet.cli import main
from sprint19_unet.data import download
from sprint19_unet.data.download import RULES_URL, download_tgs, unpack_tgs
from sprint19_unet.data.formats import load_tgs, write_tgs_layout
from sprint19_unet.errors import Sprint19Error

N_TRAIN, N_TEST = 6, 4
SMALL = {"train/images": N_TRAIN, "train/masks": N_TRAIN, "test/images": N_TEST}


def _zip_folder(archive, folder, prefix=""):
    with zipfile.ZipFile(archive, "w") as file:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                file.write(path, prefix + path.relative_to(folder).as_posix())


@pytest.fixture(scope="module")
def competition(tmp_path_factory):
    """The competition's files in Kaggle's layout, as a folder (kagglehub) and as one zip (kaggle)."""
    root = tmp_path_factory.mktemp("kaggle")
    rng = np.random.default_rng(0)
    ids = [f"{i:010x}" for i in range(N_TRAIN)]
    test_ids = [f"f{i:09x}" for i in range(N_TEST)]
    masks = rng.random((N_TRAIN, 101, 101)) > 0.6
    masks[0] = False
    staging = write_tgs_layout(root / "staging", ids, rng.random((N_TRAIN, 101, 101)), masks,
                               depths=rng.integers(50, 900, N_TRAIN), test_ids=test_ids,
                               test_images=rng.random((N_TEST, 101, 101)), test_depths=rng.integers(50, 900, N_TEST))
    files = root / "files"
    files.mkdir()
    _zip_folder(files / "train.zip", staging / "train")  # images/…, masks/…
    _zip_folder(files / "test.zip", staging / "test")  # images/…
    for name in ("train.csv", "depths.csv"):
        shutil.copy(staging / name, files / name)
    (files / "sample_submission.csv").write_text("id,rle_mask\n" + "".join(f"{i},1 1\n" for i in test_ids))
    with zipfile.ZipFile(files / "flamingo.zip", "w") as file:
        file.writestr("flamingo/readme.txt", "not ours")
    with zipfile.ZipFile(files / "competition_data.zip", "w") as file:  # the same images again: skipped
        file.writestr("competition_data/train/images/extra00000.png", b"never unpacked")
    archive = root / "tgs-salt-identification-challenge.zip"
    _zip_folder(archive, files)
    return types.SimpleNamespace(files=files, archive=archive, staging=staging)


def _same_data(unpacked, staging):
    got, want = load_tgs(unpacked), load_tgs(staging)
    assert got.ids == want.ids
    np.testing.assert_array_equal(got.images, want.images)
    np.testing.assert_array_equal(got.masks, want.masks)
    np.testing.assert_array_equal(got.depths, want.depths)
    assert load_tgs(unpacked, "test").ids == load_tgs(staging, "test").ids


@pytest.mark.parametrize("source", ["archive", "files"])
def test_unpack_gives_the_layout_load_tgs_reads(competition, tmp_path, source):
    root = unpack_tgs(getattr(competition, source), tmp_path / "tgs", expected_counts=SMALL)
    _same_data(root, competition.staging)
    assert sorted(path.name for path in root.iterdir()) == ["depths.csv", "test", "train", "train.csv"]
    assert not (root / "train" / "images" / "extra00000.png").exists()


def test_wrong_counts_are_refused_and_leave_nothing(competition, tmp_path):
    with pytest.raises(Sprint19Error, match=r"expected 4,000 there \(the competition's count\); received 6 files in train/images"):
        unpack_tgs(competition.archive, tmp_path / "tgs")
    assert list(tmp_path.iterdir()) == []


def test_unpack_refuses_a_folder_that_is_not_empty(competition, tmp_path):
    (tmp_path / "tgs").mkdir()
    (tmp_path / "tgs" / "notes.txt").write_text("mine")
    with pytest.raises(Sprint19Error, match="not empty"):
        unpack_tgs(competition.archive, tmp_path / "tgs", expected_counts=SMALL)
    assert (tmp_path / "tgs" / "notes.txt").read_text() == "mine"


def test_a_damaged_zip_is_one_clear_error(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK not really")
    with pytest.raises(Sprint19Error, match="damaged zip"):
        unpack_tgs(tmp_path / "broken.zip", tmp_path / "tgs", expected_counts=None)


# === The clients, faked ===


class HTTPError(Exception):
    """Like requests.HTTPError (kagglehub's KaggleApiHTTPError, newer kaggle): the status is on .response."""

    def __init__(self, status):
        super().__init__(f"{status} Client Error for url: https://www.kaggle.com/api/v1/competitions/data/download-all")
        self.response = types.SimpleNamespace(status_code=status)


class ApiException(Exception):
    """Like kaggle.rest.ApiException (older kaggle): the status is on .status."""

    def __init__(self, status, reason):
        super().__init__(f"({status})\nReason: {reason}")
        self.status = status


@pytest.fixture
def no_clients(monkeypatch):
    for name in ("kagglehub", "kaggle", "kaggle.api", "kaggle.api.kaggle_api_extended", "google.colab"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError
    for name in download.CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", "/nonexistent-kaggle-config")
    return monkeypatch


def _fake_kagglehub(monkeypatch, result):
    calls = []

    def competition_download(handle, *args, **kwargs):
        calls.append(handle)
        if isinstance(result, Exception):
            raise result
        return str(result)

    monkeypatch.setitem(sys.modules, "kagglehub", types.SimpleNamespace(competition_download=competition_download))
    return calls


def _fake_kaggle(monkeypatch, download_files):
    class KaggleApi:
        def authenticate(self):
            pass

        def competition_download_files(self, competition, path, quiet):
            download_files(competition, path)

    module = types.ModuleType("kaggle.api.kaggle_api_extended")
    module.KaggleApi = KaggleApi
    monkeypatch.setitem(sys.modules, "kaggle", types.ModuleType("kaggle"))
    monkeypatch.setitem(sys.modules, "kaggle.api", types.ModuleType("kaggle.api"))
    monkeypatch.setitem(sys.modules, "kaggle.api.kaggle_api_extended", module)


def test_download_with_kagglehub_then_nothing_the_second_time(competition, tmp_path, no_clients, capsys):
    calls = _fake_kagglehub(no_clients, competition.files)
    root = download_tgs(tmp_path / "data" / "tgs", expected_counts=SMALL)
    _same_data(root, competition.staging)
    assert calls == ["tgs-salt-identification-challenge"]
    assert download_tgs(root, expected_counts=SMALL) == root and calls == ["tgs-salt-identification-challenge"]
    out = capsys.readouterr().out
    assert "6 training images and masks, 4 test images" in out and "nothing to download" in out
    assert sorted(path.name for path in (tmp_path / "data").iterdir()) == ["tgs"]  # no download folder left
    assert s19.download_tgs is download_tgs


def test_download_with_the_kaggle_package(competition, tmp_path, no_clients):
    def download_files(competition_name, path):
        shutil.copy(competition.archive, f"{path}/{competition_name}.zip")

    _fake_kaggle(no_clients, download_files)
    root = download_tgs(tmp_path / "tgs", client="kaggle", expected_counts=SMALL, log=None)
    _same_data(root, competition.staging)


@pytest.mark.parametrize("error, status", [
    (HTTPError(403), "403 Forbidden"),
    (HTTPError(401), "401 Unauthorized"),
    (type("UnauthenticatedError", (Exception,), {})("You must be authenticated"), "401 Unauthorized"),
])
def test_kagglehub_refusals_become_one_clear_error(tmp_path, no_clients, error, status):
    _fake_kagglehub(no_clients, error)
    with pytest.raises(Sprint19Error) as raised:
        download_tgs(tmp_path / "tgs", log=None)
    message = str(raised.value)
    assert status in message and RULES_URL in message and "KAGGLE_USERNAME and KAGGLE_KEY" in message
    assert "no credentials found" in message and "\n" not in message
    assert not (tmp_path / "tgs").exists() and list(tmp_path.iterdir()) == []


def test_kaggle_package_refusals_and_missing_credentials(tmp_path, no_clients):
    def refuse(competition_name, path):
        raise RuntimeError("download failed") from ApiException(403, "Forbidden")

    _fake_kaggle(no_clients, refuse)
    no_clients.setenv("KAGGLE_USERNAME", "ann")
    no_clients.setenv("KAGGLE_KEY", "secret")
    with pytest.raises(Sprint19Error, match=r"403 Forbidden \(credentials found: KAGGLE_USERNAME, KAGGLE_KEY\)"):
        download_tgs(tmp_path / "tgs", client="kaggle", log=None)


def test_the_kaggle_package_without_credentials(tmp_path, no_clients, monkeypatch):
    import importlib

    real_import = importlib.import_module

    def import_module(name, *args):
        if name == "kaggle.api.kaggle_api_extended":
            raise OSError("Could not find kaggle.json. Make sure it's located in /root/.kaggle.")
        return real_import(name, *args)

    monkeypatch.setattr(download.importlib, "import_module", import_module)
    with pytest.raises(Sprint19Error, match="401 Unauthorized.*Could not find kaggle.json.*accept the rules"):
        download_tgs(tmp_path / "tgs", client="kaggle", log=None)


def test_no_client_installed_says_how_to_install(tmp_path, no_clients):
    with pytest.raises(Sprint19Error, match=r"Kaggle client: expected .*kagglehub or kaggle.*pip install kaggle"):
        download_tgs(tmp_path / "tgs", log=None)


def test_a_network_failure_is_one_error(tmp_path, no_clients):
    _fake_kagglehub(no_clients, ConnectionError("Max retries exceeded with url"))
    with pytest.raises(Sprint19Error, match="ConnectionError: Max retries exceeded.*internet connection"):
        download_tgs(tmp_path / "tgs", log=None)


def test_a_refused_download_removes_the_folders_it_created(tmp_path, no_clients):
    _fake_kagglehub(no_clients, HTTPError(403))
    (tmp_path / "course").mkdir()
    with pytest.raises(Sprint19Error, match="403 Forbidden"):
        download_tgs(tmp_path / "course" / "new" / "data" / "tgs", log=None)
    assert [path.name for path in tmp_path.rglob("*")] == ["course"]  # the folder as found


def test_colab_secrets_become_the_clients_environment(competition, tmp_path, no_clients):
    secrets = {"KAGGLE_USERNAME": "ann", "KAGGLE_KEY": "secret"}

    def get(name):
        if name not in secrets:
            raise KeyError(name)  # Colab's SecretNotFoundError
        return secrets[name]

    colab = types.ModuleType("google.colab")
    colab.userdata = types.SimpleNamespace(get=get)
    no_clients.setitem(sys.modules, "google.colab", colab)
    seen = {}

    def competition_download(handle):
        seen.update({name: download.os.environ.get(name) for name in secrets})
        return str(competition.files)

    no_clients.setitem(sys.modules, "kagglehub", types.SimpleNamespace(competition_download=competition_download))
    download_tgs(tmp_path / "tgs", expected_counts=SMALL, log=None)
    assert seen == secrets


def test_the_cli_downloads_and_reports_a_refusal_in_one_line(competition, tmp_path, no_clients, capsys):
    for key, count in SMALL.items():
        no_clients.setitem(download.TGS_COUNTS, key, count)
    _fake_kagglehub(no_clients, competition.files)
    assert main(["data", "download", "--out", str(tmp_path / "tgs")]) == 0
    assert "unpacked into" in capsys.readouterr().out
    _fake_kagglehub(no_clients, HTTPError(403))
    assert main(["data", "download", "--out", str(tmp_path / "other")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sprint19-unet: error: Kaggle download") and RULES_URL in err[0]
